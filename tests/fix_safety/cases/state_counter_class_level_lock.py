"""`self.n += 1` in a thread target; the class body already creates `_lock = threading.Lock()`:
the fix reuses it as `self._lock` and adds no instance lock."""

import threading


class Counter:
    _lock = threading.Lock()

    def __init__(self):
        self.n = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self._work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _work(self):
        self.n += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    counter = m.Counter()
    counter._work()
    for thread in counter.start():
        thread.join()
    return [counter.n, sorted(vars(counter))]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared._work, m.shared._work]


def invariant(m):
    return m.shared.n == 2
