"""A reader and a writer of one shared file (CRL301 on the writer): with the atomic form the
reader sees the old or the new file, never an empty one; it needs no lock."""

import json


class Registry:
    def __init__(self, path):
        self.path = path

    def publish(self, entries):
        with open(self.path, "w") as f:
            json.dump(entries, f)

    def snapshot(self):
        with open(self.path) as f:
            return json.load(f)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _registry(m):
    registry = m.Registry(_tmp() / "registry.json")
    registry.path.write_text("[]")
    return registry


def single_threaded(m):
    registry = _registry(m)
    before = registry.snapshot()
    registry.publish(["a", "b"])
    return [before, registry.snapshot()]


def threaded(m):
    m.shared = _registry(m)
    m.seen = []
    return [lambda: m.shared.publish(["a"]), lambda: m.seen.append(m.shared.snapshot())]


def invariant(m):
    return m.seen and m.seen[0] in ([], ["a"])
