"""`json.dump(data, open(self.path, "w"))`: no `with`, the file closes when collected (CRL301):
no atomic form; the lock covers the statement."""

import json


class Index:
    def __init__(self, path):
        self.path = path

    def save(self, data):
        json.dump(data, open(self.path, "w"))


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    index = m.Index(_tmp() / "index.json")
    index.save({"a": [1, 2]})
    return index.path.read_text()


def threaded(m):
    m.shared = m.Index(_tmp() / "index.json")
    return [lambda: m.shared.save([1]), lambda: m.shared.save([2, 3])]


def invariant(m):
    return m.shared.path.read_text() in ("[1]", "[2, 3]")
