"""Shared state where one thread-side method calls another (CRL402 in both): one plain
`self._lock` around each would be taken twice by the same thread."""

import threading


class Tracker:
    def __init__(self):
        self.total = 0
        self.events = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.record, args=(5,)) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def count(self):
        self.events += 1

    def record(self, amount):
        self.total += amount
        self.count()


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    tracker = m.Tracker()
    tracker.record(2)
    tracker.record(3)
    return [tracker.total, tracker.events]


def threaded(m):
    m.shared = m.Tracker()
    return [lambda: m.shared.record(1), lambda: m.shared.record(2)]


def invariant(m):
    return (m.shared.total, m.shared.events) == (3, 2)
