"""A reader loop polls `self.running` and, after the blocking `self._recv()` (which waits for the
other side's message), reads `self.peer`, which the other side writes before it sends. Copying
`self.peer` at the top of the loop, with the condition, reads it before the write the wait orders
after: the handshake sees `None` (a real network library stalled this way)."""

import threading


class Connection:
    def __init__(self):
        self.running = True
        self.peer = None
        self._arrived = threading.Event()
        self._pending = []
        self.heard = []

    def start(self):
        thread = threading.Thread(target=self._reader)
        thread.start()
        return thread

    def _recv(self):
        self._arrived.wait()
        self._arrived.clear()
        return self._pending.pop(0)

    def _reader(self):
        while self.running:
            message = self._recv()
            self.heard.append((self.peer, message))
            return

    def handshake(self, name):
        self.peer = name
        self._pending.append("hello")
        self._arrived.set()

    def stop(self):
        self.running = False


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    connection = m.Connection()
    connection.handshake("bob")
    connection._reader()
    return [connection.heard]


def threaded(m):
    m.shared = m.Connection()
    return [m.shared._reader, lambda: m.shared.handshake("bob")]


def invariant(m):
    return m.shared.heard == [("bob", "hello")]
