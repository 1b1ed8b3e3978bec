"""A monitor handed to pool tasks as a bound method (CRL404): its counters are updated, a mode
is recomputed right after the update, and a report swaps the per-host dict for a fresh one.
Unlocked, an update can land in the swapped-out dict (lost) or the mode can mix old and new
counts; the fix puts update, recompute and swap under one lock."""

from concurrent.futures import ThreadPoolExecutor


class Monitor:
    def __init__(self):
        self.failures = 0
        self.degraded = False
        self.per_host = {}
        self.reported = []

    def record(self, url):
        host = url.split("/")[2]
        self.per_host[host] = self.per_host.get(host, 0) + 1
        if url.endswith("!"):
            self.failures += 1
            self.degraded = self.failures > 1

    def report(self):
        counts = self.per_host
        self.per_host = {}
        self.reported.append(counts)
        return counts


def check_all(urls):
    monitor = Monitor()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(monitor.record, urls))
    return monitor.report(), monitor.failures, monitor.degraded


# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.check_all(["http://a/x", "http://b/y!", "http://a/z!"])]


def threaded(m):
    m.shared = m.Monitor()
    return [lambda: m.shared.record("http://a/1!"), lambda: m.shared.record("http://a/2!"), m.shared.report]


def invariant(m):
    seen = sum(c.get("a", 0) for c in m.shared.reported) + m.shared.per_host.get("a", 0)
    return seen == 2 and m.shared.failures == 2 and m.shared.degraded is True
