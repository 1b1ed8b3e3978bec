"""A class-level plain lock (`_lock = threading.Lock()` in the class body) held by `run()` while it
joins the workers; the workers' counter must not reuse it."""

import threading


class Crawler:
    _lock = threading.Lock()

    def __init__(self):
        self.fetched = 0

    def run(self, urls):
        with self._lock:
            threads = [threading.Thread(target=self._fetch, args=(url,)) for url in urls]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return self.fetched

    def _fetch(self, url):
        self.fetched += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    return [m.Crawler().run(["a", "b"])]


def threaded(m):
    m.shared = m.Crawler()
    return [lambda: m.shared._fetch("a"), lambda: m.shared._fetch("b")]
