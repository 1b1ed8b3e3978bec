"""Two threads started one after the other on the same bound method (no loop): both run `_work()`
at once, so its counter loses updates (CRL402) exactly like threads made in a loop."""

import threading


class Counter:
    def __init__(self):
        self.n = 0

    def start(self):
        first = threading.Thread(target=self._work)
        second = threading.Thread(target=self._work)
        first.start()
        second.start()
        return [first, second]

    def _work(self):
        self.n += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    counter = m.Counter()
    for thread in counter.start():
        thread.join()
    return [counter.n]


def threaded(m):
    m.shared = m.Counter()
    return [m.shared._work, m.shared._work]


def invariant(m):
    return m.shared.n == 2
