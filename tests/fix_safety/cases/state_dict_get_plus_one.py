"""`self.per_host[h] = self.per_host.get(h, 0) + 1` in pool tasks: a read-modify-write of a dict entry."""

from concurrent.futures import ThreadPoolExecutor
import threading


class Hosts:
    def __init__(self):
        self.per_host = {}
        self._stop = threading.Event()

    def run(self, urls):
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self._one, urls))
        return sorted(self.per_host.items())

    def _one(self, url):
        host = url.split("/")[2]
        self.per_host[host] = self.per_host.get(host, 0) + 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.Hosts().run(["http://a/x", "http://b/y", "http://a/z"])]


def threaded(m):
    m.shared = m.Hosts()
    return [lambda: m.shared._one("http://a/1"), lambda: m.shared._one("http://a/2")]


def invariant(m):
    return m.shared.per_host == {"a": 2}
