"""`run()` holds the object's plain lock while it starts the workers and joins them; the workers'
counter (CRL402) must not take that lock: they would wait for `run()`, which waits for them."""

import threading


class Batch:
    def __init__(self):
        self._lock = threading.Lock()
        self.done = 0
        self.results = []

    def run(self, items):
        with self._lock:
            threads = [threading.Thread(target=self._work, args=(item,)) for item in items]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.results.append(len(items))
        return self.done

    def _work(self, item):
        self.done += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()  # the lock is held across join(): taking it in the worker deadlocks


def single_threaded(m):
    batch = m.Batch()
    return [batch.run([1, 2, 3]), batch.results]


def threaded(m):
    m.shared = m.Batch()
    return [lambda: m.shared._work(1), lambda: m.shared._work(2)]


def invariant(m):
    return True  # unfixed: the race is the rule's business; a fix would deadlock run()
