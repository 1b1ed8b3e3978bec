"""A dataclass whose counter threads bump, serialised with `dataclasses.asdict` and compared with
`==`: the lock must not become a field (nor appear in `repr`), and the class has no `__init__` of its own."""

import threading
from dataclasses import asdict, dataclass


@dataclass
class Stats:
    name: str
    hits: int = 0

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
    stats = m.Stats("a")
    stats.hit()
    for thread in stats.start():
        thread.join()
    return [m.asdict(stats), repr(stats), stats == m.Stats("a", 3)]


def threaded(m):
    m.shared = m.Stats("a")
    return [m.shared.hit, m.shared.hit]


def invariant(m):
    return m.shared.hits == 2
