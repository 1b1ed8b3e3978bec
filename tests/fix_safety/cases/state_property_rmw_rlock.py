"""`self.count += 1` through a property whose getter and setter each take the object's `RLock`:
each call is atomic, the read-modify-write is not; the fix holds the same RLock around it."""

import threading


class Counter:
    def __init__(self):
        self._guard = threading.RLock()
        self._count = 0

    @property
    def count(self):
        with self._guard:
            return self._count

    @count.setter
    def count(self, value):
        with self._guard:
            self._count = value

    def start(self, workers=2):
        threads = [threading.Thread(target=self._work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _work(self):
        self.count += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    counter = m.Counter()
    counter._work()
    for thread in counter.start():
        thread.join()
    return [counter.count, sorted(vars(counter))]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared._work, m.shared._work]


def invariant(m):
    return m.shared.count == 2
