"""A loop records `(self._recv(), self.peer)`: `self.peer` is read after the wait inside the same
statement. Copying it before the statement would read it before the write the wait orders after,
so that read gets no fix; the loop condition still goes under the lock."""

import threading


class Connection:
    def __init__(self):
        self.running = True
        self.peer = None
        self._arrived = threading.Event()
        self.heard = []

    def _recv(self):
        self._arrived.wait()
        return "hello"

    def start(self):
        thread = threading.Thread(target=self._reader)
        thread.start()
        return thread

    def _reader(self):
        while self.running:
            self.heard.append((self._recv(), self.peer))
            return

    def handshake(self, name):
        self.peer = name
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
    return m.shared.heard == [("hello", "bob")]
