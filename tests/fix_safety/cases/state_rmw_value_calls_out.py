"""`self.total += self._measure(x)`: the value calls back into the object, so it is computed first
and only the add runs under the lock (the call never runs with the lock held)."""

import threading


class Meter:
    def __init__(self):
        self.total = 0
        self._stop = threading.Event()

    def start(self, values):
        threads = [threading.Thread(target=self._add, args=(v,)) for v in values]
        for thread in threads:
            thread.start()
        return threads

    def _measure(self, value):
        return value * 2

    def _add(self, value):
        self.total += self._measure(value)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    meter = m.Meter()
    for thread in meter.start([1, 2]):
        thread.join()
    return [meter.total]


def threaded(m):
    m.shared = m.Meter()
    return [lambda: m.shared._add(1), lambda: m.shared._add(2)]


def invariant(m):
    return m.shared.total == 6
