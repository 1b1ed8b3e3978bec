"""Thread-pool tasks that keep running totals (CRL402) polled by another thread (CRL401)."""

from concurrent.futures import ThreadPoolExecutor


class Stats:
    def __init__(self):
        self.done = 0
        self.per_host = {}

    def run(self, urls):
        with ThreadPoolExecutor(max_workers=2) as pool:
            for url in urls:
                pool.submit(self._download, url)
        return self.done

    def _download(self, url):
        self.done += 1
        host = url.split("/")[2]
        self.per_host[host] = self.per_host.get(host, 0) + 1

    def progress(self):
        return self.done, dict(self.per_host)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    stats = m.Stats()
    done = stats.run(["http://a/x", "http://b/y", "http://a/z"])
    return [done, stats.progress()]


def threaded(m):
    m.shared = m.Stats()
    return [lambda: m.shared._download("http://a/1"), lambda: m.shared._download("http://a/2"), m.shared.progress]


def invariant(m):
    return m.shared.progress() == (2, {"a": 2})
