"""`wait_ready()` holds the plain lock while it waits for an Event the worker sets after counting;
the worker taking that lock around its count would never reach `set()`."""

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
        self.loaded += 1
        self._ready.set()

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
