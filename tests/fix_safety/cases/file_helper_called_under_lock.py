"""A private helper writes the file and every caller holds the object's lock: nothing to report."""

import threading


class Store:
    def __init__(self, path):
        self._lock = threading.Lock()
        self.path = path

    def update(self, text):
        with self._lock:
            self._write(text)

    def _write(self, text):
        with open(self.path, "w") as f:
            f.write(text)


# --- drivers ---
UNTOUCHED = "every caller of _write holds self._lock"


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    store = m.Store(_tmp() / "s.txt")
    store.update("x")
    return store.path.read_text()


def threaded(m):
    m.shared = m.Store(_tmp() / "s.txt")
    return [lambda: m.shared.update("a"), lambda: m.shared.update("b")]
