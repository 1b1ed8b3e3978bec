"""`flush()` tests `self.stream` and then uses it: `if self.stream and not self.stream.closed:
self.stream.flush()`, while `close()` sets it to `None`. The test and the use must read the field
once (one copy under the lock, tested and used): a copy for the test and a second one, under a
second `with`, for the use can still meet `None` (concurrent-log-handler's `flush()`)."""

import threading


class Stream:
    def __init__(self):
        self.closed = False
        self.flushes = 0

    def flush(self):
        self.flushes += 1


class Handler:
    def __init__(self):
        self.stream = Stream()

    def start(self):
        thread = threading.Thread(target=self.flush)
        thread.start()
        return thread

    def flush(self):
        if self.stream and not self.stream.closed:
            self.stream.flush()

    def close(self):
        self.stream = None


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    handler = m.Handler()
    stream = handler.stream
    handler.flush()
    handler.close()
    handler.flush()
    return [stream.flushes, handler.stream]


def threaded(m):
    m.shared = m.Handler()
    m.stream = m.shared.stream
    return [m.shared.flush, m.shared.close]


def invariant(m):
    return m.shared.stream is None and m.stream.flushes in (0, 1)
