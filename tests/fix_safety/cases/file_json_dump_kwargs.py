"""`json.dump(obj, f, indent=..., sort_keys=...)` into a shared file (CRL301): the dump's own
arguments are untouched by the fix, so the text is identical."""

import json


class Settings:
    def __init__(self, path):
        self.path = path
        self.values = {}

    def set(self, key, value):
        self.values[key] = value
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(self.values, f, indent=2, sort_keys=True)
            f.write("\n")


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    settings = m.Settings(_tmp() / "settings.json")
    settings.set("b", 2)
    settings.set("a", [1, 2])
    return settings.path.read_text(encoding="utf-8")


def threaded(m):
    m.shared = m.Settings(_tmp() / "settings.json")
    return [lambda: m.shared.set("a", 1), lambda: m.shared.set("b", 2)]


def invariant(m):
    import json

    return set(json.loads(m.shared.path.read_text(encoding="utf-8"))) <= {"a", "b"}
