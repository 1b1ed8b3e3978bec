"""A plain `self._lock` held by `put()` around a helper that calls the thread-side `hit()` (one call
level more than the direct case): reusing the Lock inside `hit()` would make `put()` take it twice."""

import threading


class Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self.hits = 0
        self.data = {}

    def start(self, workers=2):
        threads = [threading.Thread(target=self.hit) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def put(self, key, value):
        with self._lock:
            self.data[key] = value
            self._count()

    def _count(self):
        self.hit()

    def hit(self):
        self.hits += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()  # no fix: the only lock to use is held by put() around the call


def single_threaded(m):
    cache = m.Cache()
    cache.put("a", 1)
    for thread in cache.start():
        thread.join()
    return [cache.hits, cache.data]


def threaded(m):
    m.shared = m.Cache()
    return [lambda: m.shared.put("a", 1), m.shared.hit]
