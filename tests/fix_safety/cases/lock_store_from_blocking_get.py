"""`self.last = self.inbox.get()` on the reader thread, where `inbox` is a queue handed in (its type
unknown here): the `get()` blocks until the producer puts, so it must run outside the lock and only
the store goes under it; the producer counts under the same lock before it puts."""

import threading


class Mailbox:
    """A blocking mailbox built on an Event (one message)."""

    def __init__(self):
        self._ready = threading.Event()
        self._item = None

    def put(self, item):
        self._item = item
        self._ready.set()

    def get(self):
        self._ready.wait()
        return self._item


class Reader:
    def __init__(self, inbox):
        self.inbox = inbox
        self.last = None
        self.sent = 0

    def start(self):
        thread = threading.Thread(target=self._read)
        thread.start()
        return thread

    def _read(self):
        self.last = self.inbox.get()

    def send(self, item):
        self.sent += 1
        self.last = "pending"
        self.inbox.put(item)


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    reader = m.Reader(m.Mailbox())
    reader.send("hello")
    reader._read()
    return [reader.last, reader.sent]


def threaded(m):
    m.shared = m.Reader(m.Mailbox())
    return [m.shared._read, lambda: m.shared.send("hello")]


def invariant(m):
    return m.shared.last == "hello"
