"""Two instances counted by their own threads at once: whatever lock the fix picks (per object or per
class), each object's count stays exact and neither blocks the other for long."""

import threading


class Hits:
    def __init__(self, name):
        self.name = name
        self.hits = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.hit) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def hit(self):
        self.hits += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    a, b = m.Hits("a"), m.Hits("b")
    for thread in a.start() + b.start():
        thread.join()
    return [a.hits, b.hits]


def threaded(m):
    m.a, m.b = m.Hits("a"), m.Hits("b")
    return [m.a.hit, m.b.hit, m.a.hit]


def invariant(m):
    return m.a.hits == 2 and m.b.hits == 1
