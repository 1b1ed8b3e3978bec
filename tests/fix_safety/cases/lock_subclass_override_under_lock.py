"""The base's `put()` holds its plain lock around `self._after_put()`; a subclass overrides that hook
with a counter that its worker threads also run. `self` may be the subclass: no reuse of the lock."""

import threading


class Store:
    def __init__(self):
        self._lock = threading.Lock()
        self.data = {}

    def put(self, key, value):
        with self._lock:
            self.data[key] = value
            self._after_put()

    def _after_put(self):
        pass


class CountingStore(Store):
    def __init__(self):
        super().__init__()
        self.puts = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self._after_put) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _after_put(self):
        self.puts += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    store = m.CountingStore()
    store.put("a", 1)
    for thread in store.start():
        thread.join()
    return [store.puts, store.data]


def threaded(m):
    m.shared = m.CountingStore()
    return [lambda: m.shared.put("a", 1), m.shared._after_put]
