"""`collect()` holds the plain lock while it waits for the pool's futures; the tasks count
(CRL402) and must not take that lock, or `result()` waits for tasks that wait for it."""

import threading
from concurrent.futures import ThreadPoolExecutor


class Fetcher:
    def __init__(self):
        self._lock = threading.Lock()
        self.fetched = 0

    def collect(self, urls):
        with self._lock:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(self._fetch, url) for url in urls]
                results = [future.result() for future in futures]
            return results, self.fetched

    def _fetch(self, url):
        self.fetched += 1
        return url.upper()


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    return m.Fetcher().collect(["a", "b"])


def threaded(m):
    m.shared = m.Fetcher()
    return [lambda: m.shared._fetch("a"), lambda: m.shared._fetch("b")]
