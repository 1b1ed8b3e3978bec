"""`take()` holds the plain lock across `queue.get()`; the producer thread counts under no lock and
then puts. Reusing the lock for the count would stop the producer before its `put()`."""

import queue
import threading


class Pipe:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue = queue.Queue()
        self.produced = 0
        self.taken = []

    def start(self, items):
        thread = threading.Thread(target=self._produce, args=(items,))
        thread.start()
        return thread

    def _produce(self, items):
        for item in items:
            self.produced += 1
            self._queue.put(item)

    def take(self):
        with self._lock:
            item = self._queue.get(timeout=5)
            self.taken.append((item, self.produced))
        return item


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    pipe = m.Pipe()
    pipe.start(["a", "b"]).join()
    return [pipe.take(), pipe.take(), pipe.produced, pipe.taken]


def threaded(m):
    m.shared = m.Pipe()
    return [lambda: m.shared._produce(["a"]), lambda: m.shared._produce(["b"])]
