"""`executor.map` over a method that updates a dict and a list on the object (CRL402 on the dict)."""

from concurrent.futures import ThreadPoolExecutor


class WordCount:
    def __init__(self):
        self.counts = {}

    def feed(self, lines):
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self._count, lines))
        return dict(sorted(self.counts.items()))

    def _count(self, line):
        for word in line.split():
            self.counts[word] = self.counts.get(word, 0) + 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.WordCount().feed(["a b", "b c", "c c"])]


def threaded(m):
    m.shared = m.WordCount()
    return [lambda: m.shared._count("x y"), lambda: m.shared._count("x")]


def invariant(m):
    return m.shared.counts == {"x": 2, "y": 1}
