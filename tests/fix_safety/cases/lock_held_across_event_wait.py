"""`wait_ready()` holds the plain lock while it waits for an Event the worker sets before counting
(so the count still races with the read): a fix that takes that lock around the worker's count
would wait for `wait_ready()`, which waits for the worker. No fix, with the reason."""

import threading


class Loader:
    def __init__(self):
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.loaded = 0
        self.seen = None

    def start(self):
        thread = threading.Thread(target=self._load)
        thread.start()
        return thread

    def _load(self):
        self._ready.set()  # before the count: the Event does not order it before the read
        self.loaded += 1

    def wait_ready(self):
        with self._lock:
            self._ready.wait(timeout=5)
            self.seen = self.loaded
        return self.seen


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    loader = m.Loader()
    loader.start().join()
    return [loader.wait_ready()]


def threaded(m):
    m.shared = m.Loader()
    return [m.shared._load, m.shared._load]
