"""A subclass writer counts and then calls the base writer through `super()`, which counts too;
both run on worker threads. The fixes lock each count on its own, never across `super().add()`."""

import threading


class Base:
    def __init__(self):
        self.base_adds = 0

    def add(self, value):
        self.base_adds += 1


class Tracked(Base):
    def __init__(self):
        super().__init__()
        self.adds = 0

    def start(self, values):
        threads = [threading.Thread(target=self.add, args=(v,)) for v in values]
        for thread in threads:
            thread.start()
        return threads

    def add(self, value):
        self.adds += 1
        super().add(value)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    tracked = m.Tracked()
    tracked.add(0)
    for thread in tracked.start([1, 2]):
        thread.join()
    return [tracked.adds, tracked.base_adds]


def threaded(m):
    m.shared = m.Tracked()
    return [lambda: m.shared.add(1), lambda: m.shared.add(2)]


def invariant(m):
    return m.shared.adds == 2
