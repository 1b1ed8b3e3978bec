"""`self.counts[key] += 1` in pool tasks (CRL402 on a dict entry): two tasks lose an update."""

from concurrent.futures import ThreadPoolExecutor
import threading


class Tally:
    def __init__(self):
        self.counts = {"a": 0, "b": 0}
        self._stop = threading.Event()

    def run(self, keys):
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self._one, keys))
        return dict(self.counts)

    def _one(self, key):
        self.counts[key] += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.Tally().run(["a", "b", "a"])]


def threaded(m):
    m.shared = m.Tally()
    return [lambda: m.shared._one("a"), lambda: m.shared._one("a")]


def invariant(m):
    return m.shared.counts["a"] == 2
