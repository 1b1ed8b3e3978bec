"""One stats object made by the function that starts the workers and handed to each of them
through `args=` (CRL404): no global names it, the hand-over makes it shared."""

import threading


class CrawlStats:
    def __init__(self):
        self.pages = 0
        self.links = {}

    def add(self, host, found):
        self.pages += 1
        self.links[host] = self.links.get(host, 0) + found

    def totals(self):
        return self.pages, dict(self.links)


def crawl(stats, url):
    host = url.split("/")[2]
    stats.add(host, len(url) % 3)
    return host


def crawl_all(urls):
    stats = CrawlStats()
    workers = [threading.Thread(target=crawl, args=(stats, url)) for url in urls]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return stats.totals()


# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.crawl_all(["http://a/x", "http://b/yy", "http://a/zzz"]), m.crawl(m.CrawlStats(), "http://c/1")]


def threaded(m):
    m.shared = m.CrawlStats()
    return [lambda: m.crawl(m.shared, "http://a/1"), lambda: m.crawl(m.shared, "http://a/22")]


def invariant(m):
    return m.shared.totals() == (2, {"a": (len("http://a/1") % 3) + (len("http://a/22") % 3)})
