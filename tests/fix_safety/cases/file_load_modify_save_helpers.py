"""Load a JSON list through one helper, append, save it through another (CRL304): the lock covers
the span from the load through the save, so both callers' entries stay in the file."""

import json
import os


class Favourites:
    def __init__(self, path):
        self.path = path
        self.loads = 0

    def _load(self):
        self.loads += 1  # a Python-level access inside the window, where DPOR can switch threads
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return json.load(f)

    def _save(self, entries):
        with open(self.path, "w") as f:
            json.dump(entries, f)

    def add(self, name):
        entries = self._load()
        entries.append(name)
        self._save(entries)
        return len(entries)


# --- drivers ---
FINDINGS = ("CRL304",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    favourites = m.Favourites(_tmp() / "favourites.json")
    return [favourites.add("vim"), favourites.add("git"), favourites.path.read_text()]


def threaded(m):
    m.shared = m.Favourites(_tmp() / "favourites.json")
    return [lambda: m.shared.add("vim"), lambda: m.shared.add("git")]


def invariant(m):
    return sorted(m.json.loads(m.shared.path.read_text())) == ["git", "vim"]
