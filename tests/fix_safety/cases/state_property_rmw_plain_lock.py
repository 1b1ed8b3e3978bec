"""`self.count += 1` through a property whose getter and setter each take a plain `Lock`:
reported (the update is lost between the two calls), but holding that Lock around the
statement would take it twice: no fix, the finding says why."""

import threading


class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self):
        with self._lock:
            return self._count

    @count.setter
    def count(self, value):
        with self._lock:
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
FIXED_IN = ()


def single_threaded(m):
    counter = m.Counter()
    counter._work()
    for thread in counter.start():
        thread.join()
    return [counter.count]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared._work, m.shared._work]
