"""A threading server's request handlers share class-level state (CRL402): each request gets
its own handler object, so the fix's lock must be the class's, not the object's."""

import socketserver


class Echo(socketserver.BaseRequestHandler):
    served = 0
    by_client = {}

    def __init__(self, client):  # the real one takes (request, client_address, server) and calls handle()
        self.client = client
        self.seen = 0

    def handle(self):
        self.seen += 1  # per request: not shared
        type(self).served += 1
        self.by_client[self.client] = self.by_client.get(self.client, 0) + 1
        return self.served


def make_server(port):
    return socketserver.ThreadingTCPServer(("127.0.0.1", port), Echo)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    out = [m.Echo("a").handle(), m.Echo("b").handle(), m.Echo("a").handle()]
    return [out, m.Echo.served, sorted(m.Echo.by_client.items())]


def threaded(m):
    return [lambda: m.Echo("a").handle(), lambda: m.Echo("a").handle(), lambda: m.Echo("b").handle()]


def invariant(m):
    return m.Echo.served == 3 and m.Echo.by_client == {"a": 2, "b": 1}
