"""`self.n += 1` in a thread target; the class already has an `RLock`: reused as it is."""

import threading


class Counter:
    def __init__(self):
        self._guard = threading.RLock()
        self.n = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self._work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _work(self):
        self.n += 1

    def value(self):
        return self.n


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    counter = m.Counter()
    counter._work()
    for thread in counter.start():
        thread.join()
    return [counter.value(), sorted(k for k in vars(counter) if k != "n")]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared._work, m.shared._work]


def invariant(m):
    return m.shared.n == 2
