"""A process-wide stats object (a module global) that pool tasks update through a module function
(CRL404): the class starts no thread, its callers' threads run it."""

from concurrent.futures import ThreadPoolExecutor


class DownloadStats:
    def __init__(self):
        self.done = 0
        self.bytes = 0
        self.per_host = {}

    def record(self, host, size):
        self.done += 1
        self.bytes = self.bytes + size
        self.per_host[host] = self.per_host.get(host, 0) + 1

    def totals(self):
        return self.done, self.bytes, dict(self.per_host)


_stats = DownloadStats()


def get_stats():
    return _stats


def download(url):
    host = url.split("/")[2]
    get_stats().record(host, len(url))
    return host


def download_all(urls):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(download, urls))


# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    hosts = m.download_all(["http://a/x", "http://b/yy", "http://a/zzz"])
    return [hosts, m.get_stats().totals()]


def threaded(m):
    return [lambda: m.download("http://a/1"), lambda: m.download("http://a/22")]


def invariant(m):
    return m.get_stats().totals() == (2, 21, {"a": 2})
