"""A method writing a file at a path held in an attribute (CRL301); lock + atomic replace is right."""

import json


class Store:
    def __init__(self, path):
        self.path = path

    def save(self, data):
        with open(self.path, "w") as f:
            json.dump(data, f)

    def load(self):
        with open(self.path) as f:
            return json.load(f)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # lock+atomic (the default file-write-fix) is unsafe


def _store(m):
    import tempfile
    from pathlib import Path

    return m.Store(Path(tempfile.mkdtemp()) / "store.json")


def single_threaded(m):
    store = _store(m)
    store.save({"a": 1})
    store.save({"b": 2})
    return [store.load()]


def threaded(m):
    m.shared = _store(m)
    return [lambda: m.shared.save({"a": 1}), lambda: m.shared.save({"b": 2})]


def invariant(m):
    return m.shared.load() in ({"a": 1}, {"b": 2})
