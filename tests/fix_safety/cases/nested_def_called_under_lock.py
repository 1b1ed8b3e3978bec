"""A nested def written inside `with self._lock:` and only called there, by name: it runs holding the lock,
so its update is guarded. No finding and no fix: a fix taking the plain Lock inside `one()` would block the
caller, which already holds it (the model once treated every nested def as a callback run later)."""

import threading


class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def add_all(self, n):
        with self._lock:
            def one():
                self.count += 1
            for _ in range(n):
                one()

    def run(self, n):
        threads = [threading.Thread(target=self.add_all, args=(2,)) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.count


# --- drivers ---
UNTOUCHED = "the nested def runs where it is called, under the caller's lock: nothing to report or fix"


def single_threaded(m):
    return m.Counter().run(3)


def threaded(m):
    m.counter = m.Counter()
    return [lambda: m.counter.add_all(1), lambda: m.counter.add_all(1)]


def invariant(m):
    return m.counter.count == 2
