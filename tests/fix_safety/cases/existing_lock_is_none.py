"""`self._lock = None` (a lock made later, or never): the fix must not `with None:`."""

import threading


class Buffer:
    def __init__(self):
        self._lock = None
        self.size = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.grow) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def grow(self):
        self.size += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    buffer = m.Buffer()
    buffer.grow()
    return [buffer.size, buffer._lock]


def threaded(m):
    m.shared = m.Buffer()
    return [m.shared.grow, m.shared.grow]


def invariant(m):
    return m.shared.size == 2
