"""`put()` takes the plain lock with `acquire()`/`release()` (no `with`) around a call to the
thread-side `hit()`: that is holding it too, so the lock is not reused inside `hit()`."""

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
        self._lock.acquire()
        try:
            self.data[key] = value
            self.hit()
        finally:
            self._lock.release()

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
