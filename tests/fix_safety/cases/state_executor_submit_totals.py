"""`executor.submit(self._one, x)` tasks adding to `self.total` and `self.count` (CRL402)."""

from concurrent.futures import ThreadPoolExecutor
import threading


class Summer:
    def __init__(self):
        self.total = 0
        self.count = 0
        self._stop = threading.Event()

    def run(self, values):
        with ThreadPoolExecutor(max_workers=2) as pool:
            for value in values:
                pool.submit(self._one, value)
        return [self.total, self.count]

    def _one(self, value):
        self.total += value
        self.count += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return m.Summer().run([1, 2, 3])


def threaded(m):
    m.shared = m.Summer()
    return [lambda: m.shared._one(1), lambda: m.shared._one(2)]


def invariant(m):
    return [m.shared.total, m.shared.count] == [3, 2]
