"""`save()` is public and also called by `update()` with the object's plain Lock held (CRL301):
wrapping `save` in that lock would deadlock `update`, so there is no fix, and the finding says why."""

import threading


class Store:
    def __init__(self, path):
        self._lock = threading.Lock()
        self.path = path
        self.data = ""

    def update(self, text):
        with self._lock:
            self.data = text
            self.save()

    def save(self):
        with open(self.path, "w") as f:
            f.write(self.data)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ()


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    store = m.Store(_tmp() / "s.txt")
    store.update("one")
    store.save()
    return store.path.read_text()


def threaded(m):
    return [lambda: None]
