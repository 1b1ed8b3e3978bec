"""A thread-side `self.n += 1` (CRL402); the `with self._lock:` fix is right."""

import threading


class Counter:
    def __init__(self):
        self.n = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.tick) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def tick(self):
        self.n += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    counter = m.Counter()
    counter.tick()
    for thread in counter.start():
        thread.join()
    return [counter.n]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared.tick, m.shared.tick, m.shared.tick]


def invariant(m):
    return m.shared.n == 3
