"""The code reads `f.name` inside the write's block (CRL301): in the atomic form `f` is the temp
file, whose name is not the target's, so the fix must keep `open` (the lock form)."""

import os


class Exporter:
    def __init__(self, path):
        self.path = path
        self.written = []

    def export(self, text):
        with open(self.path, "w") as f:
            f.write(text)
            self.written.append(os.path.basename(f.name))
        return self.written[-1]


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    exporter = m.Exporter(str(_tmp() / "export.txt"))
    return [exporter.export("a"), exporter.export("b"), open(exporter.path).read()]


def threaded(m):
    m.shared = m.Exporter(str(_tmp() / "export.txt"))
    return [lambda: m.shared.export("a"), lambda: m.shared.export("b")]


def invariant(m):
    return m.shared.written == ["export.txt", "export.txt"]
