"""The write already holds the object's lock: nothing to report, nothing to fix."""

import json
import threading


class Store:
    def __init__(self, path):
        self._lock = threading.Lock()
        self.path = path

    def save(self, data):
        with self._lock:
            with open(self.path, "w") as f:
                json.dump(data, f)


# --- drivers ---
UNTOUCHED = "already under self._lock"


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    store = m.Store(_tmp() / "store.json")
    store.save({"a": 1})
    return store.path.read_text()


def threaded(m):
    m.shared = m.Store(_tmp() / "store.json")
    return [lambda: m.shared.save({"a": 1}), lambda: m.shared.save({"b": 2})]
