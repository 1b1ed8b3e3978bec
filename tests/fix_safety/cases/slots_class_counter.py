"""A `__slots__` class with a thread-side increment (CRL402): a new `self._lock` must fit the slots."""

import threading


class Meter:
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.add) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def add(self):
        self.value += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    meter = m.Meter()
    meter.add()
    return [meter.value, m.Meter.__slots__ if isinstance(m.Meter.__slots__, tuple) else None]


def threaded(m):
    m.shared = m.Meter()
    return [m.shared.add, m.shared.add]


def invariant(m):
    return m.shared.value == 2
