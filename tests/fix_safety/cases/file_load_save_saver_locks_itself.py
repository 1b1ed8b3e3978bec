"""The load and the save each take the object's plain lock, released in between (CRL304): the entry is
still lost, but a lock around the span would be taken again by `_save`: no fix, the finding says why."""

import json
import os
import threading


class Favourites:
    def __init__(self, path):
        self._lock = threading.Lock()
        self.path = path

    def _load(self):
        with self._lock:
            if not os.path.exists(self.path):
                return []
            with open(self.path) as f:
                return json.load(f)

    def _save(self, entries):
        with self._lock:
            with open(self.path, "w") as f:
                json.dump(entries, f)

    def add(self, name):
        entries = self._load()
        entries.append(name)
        self._save(entries)
        return len(entries)


# --- drivers ---
FINDINGS = ("CRL304",)
FIXED_IN = ()


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    favourites = m.Favourites(_tmp() / "favourites.json")
    return [favourites.add("vim"), favourites.add("git"), favourites.path.read_text()]


def threaded(m):
    m.shared = m.Favourites(_tmp() / "favourites.json")
    return [lambda: m.shared.add("vim")]  # one caller: the unfixed module is explored without the race
