"""One object whose file write (CRL301) and whose dict serialised while another thread adds to it
(CRL405) are fixed in one run: both fixes hold ONE lock, `self._lock` created in `__init__` (no
dead class-body `_lock` beside it), around the same statements they would guard alone; the
writes and the adds exclude each other and nothing re-takes the lock. (In this repository the
write becomes `atomic_write`, an unsafe fix, so the safe run changes nothing.)"""

import json
import threading


class Store:
    def __init__(self, path):
        self.path = path
        self.data = {}

    def put(self, key, value):
        self.data[key] = value

    def save(self):
        with open(self.path, "w") as f:
            json.dump(self.data, f)

    def start(self):
        """The saver and a writer run on their own threads."""
        threads = [threading.Thread(target=self.save), threading.Thread(target=self.put, args=("c", 3))]
        for thread in threads:
            thread.start()
        return threads

    def load(self):
        with open(self.path) as f:
            return json.load(f)


# --- drivers ---
FINDINGS = ("CRL301", "CRL405")
FIXED_IN = ("unsafe",)


def _store(m):
    import tempfile
    from pathlib import Path

    return m.Store(Path(tempfile.mkdtemp(prefix="racelint_case_")) / "store.json")


def single_threaded(m):
    store = _store(m)
    store.put("a", 1)
    store.save()
    store.put("b", 2)
    store.save()
    return [store.load(), sorted(vars(store))[-1]]


def threaded(m):
    m.shared = _store(m)
    m.shared.put("a", 1)
    return [m.shared.save, lambda: m.shared.put("b", 2), m.shared.save]


def invariant(m):
    return m.shared.load()["a"] == 1
