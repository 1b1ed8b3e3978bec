"""Load, change, save one JSON counter file (CRL301, read-modify-write): the lock covers the
read through the write, so two increments both count."""

import json


class Counter:
    def __init__(self, path):
        self.path = path

    def bump(self):
        with open(self.path) as f:
            data = json.load(f)
        data["n"] += 1
        with open(self.path, "w") as f:
            json.dump(data, f)
        return data["n"]


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # the atomic write form is unsafe; safe mode leaves it


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _counter(m):
    counter = m.Counter(_tmp() / "n.json")
    counter.path.write_text('{"n": 0}')
    return counter


def single_threaded(m):
    counter = _counter(m)
    return [counter.bump(), counter.bump(), counter.path.read_text()]


def threaded(m):
    m.shared = _counter(m)
    return [m.shared.bump, m.shared.bump]


def invariant(m):
    return m.shared.path.read_text() == '{"n": 2}'
