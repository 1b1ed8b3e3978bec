"""A NamedTuple value in `self.point`, replaced with `_replace` by worker threads (a read-modify-write
of the binding): both `_replace` steps go under one lock; the tuple stays a plain NamedTuple."""

import threading
from typing import NamedTuple


class Point(NamedTuple):
    x: int
    y: int


class Walker:
    def __init__(self):
        self.point = Point(0, 0)

    def start(self, workers=2):
        threads = [threading.Thread(target=self.step) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def step(self):
        self.point = self.point._replace(x=self.point.x + 1)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    walker = m.Walker()
    walker.step()
    for thread in walker.start():
        thread.join()
    return [walker.point, sorted(vars(walker))]


def threaded(m):
    m.shared = m.Walker()
    return [m.shared.step, m.shared.step]


def invariant(m):
    return m.shared.point.x == 2
