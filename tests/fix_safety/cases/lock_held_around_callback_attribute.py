"""`put()` holds the plain lock around a callback attribute bound to the object's own `hit()`
(`self._on_put = self.hit`): the call graph must follow it, or the fix deadlocks `put()`."""

import threading


class Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self.hits = 0
        self.data = {}
        self._on_put = self.hit

    def start(self, workers=2):
        threads = [threading.Thread(target=self.hit) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def put(self, key, value):
        with self._lock:
            self.data[key] = value
            self._on_put()

    def hit(self):
        self.hits += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    cache = m.Cache()
    cache.put("a", 1)
    for thread in cache.start():
        thread.join()
    return [cache.hits, cache.data]


def threaded(m):
    m.shared = m.Cache()
    return [lambda: m.shared.put("a", 1), m.shared.hit]
