"""Objects in a module-level container that pool tasks index with a constant key (CRL404): every task
updates the one `Stats` entry stored under `"fetches"`; the class starts no thread, its callers' threads run
it. The fix takes a lock in `record()`."""

from concurrent.futures import ThreadPoolExecutor


class Stats:
    def __init__(self):
        self.count = 0
        self.bytes = 0

    def record(self, size):
        self.count += 1
        self.bytes = self.bytes + size


FETCHES = "fetches"
_STATS: dict = {}


def fetch(url):
    _STATS.setdefault(FETCHES, Stats()).record(len(url))
    return url


def fetch_all(urls):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fetch, urls))


def totals():
    entry = _STATS.get(FETCHES)
    return (entry.count, entry.bytes) if entry is not None else (0, 0)


# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.fetch_all(["a", "bb", "ccc"]), m.totals()]


def threaded(m):
    m._STATS[m.FETCHES] = m.Stats()  # made before the threads: the race is the update, not the insert
    return [lambda: m.fetch("x"), lambda: m.fetch("yy")]


def invariant(m):
    return m.totals() == (2, 3)
