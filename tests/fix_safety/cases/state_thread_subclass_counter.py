"""A `threading.Thread` subclass counting in `run()` while the owner resets the count: the object is
a Thread (never copyable), so the lock is per object, created before the thread can start."""

import threading


class Worker(threading.Thread):
    def __init__(self, items):
        super().__init__()
        self.items = items
        self.done = 0

    def run(self):
        for _ in self.items:
            self.done += 1

    def reset(self):
        self.done = 0


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    worker = m.Worker([1, 2, 3])
    worker.start()
    worker.join()
    before = worker.done
    worker.reset()
    return [before, worker.done, "_lock" in vars(m.Worker)]


def threaded(m):
    m.shared = m.Worker([1])
    return [m.shared.run, m.shared.run]


def invariant(m):
    return m.shared.done == 2
