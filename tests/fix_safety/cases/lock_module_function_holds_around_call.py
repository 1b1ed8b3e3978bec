"""A module function holds the object's plain lock (`with cache._lock:`) around `cache.hit()`, the
thread-side counter: reusing the lock inside `hit()` would make `flush()` take it twice."""

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

    def hit(self):
        self.hits += 1

    def size(self):
        with self._lock:
            return len(self.data)


def flush(cache):
    with cache._lock:
        cache.data.clear()
        cache.hit()


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    cache = m.Cache()
    m.flush(cache)
    for thread in cache.start():
        thread.join()
    return [cache.hits, cache.size()]


def threaded(m):
    m.shared = m.Cache()
    return [lambda: m.flush(m.shared), m.shared.hit]
