"""Objects in a module-level container indexed with a key each thread computes for itself (its own id):
no two threads share an entry that the index can show, so CRL404 stays silent and nothing is changed."""

import threading
from collections import defaultdict


class Stats:
    def __init__(self):
        self.count = 0

    def record(self):
        self.count += 1


_STATS = defaultdict(Stats)


def work():
    _STATS[threading.get_ident()].record()


def run(n):
    threads = [threading.Thread(target=work) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(stats.count for stats in _STATS.values())


# --- drivers ---
UNTOUCHED = "the key is the thread's own id: no entry is shown to be shared, so no finding and no fix"


def single_threaded(m):
    return m.run(3)


def threaded(m):
    return [m.work, m.work]


def invariant(m):
    return sum(stats.count for stats in m._STATS.values()) == 2
