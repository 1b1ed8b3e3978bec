"""Writes to a fresh `tempfile` path per call: private to the call, nothing to report."""

import os
import tempfile


class Exporter:
    def __init__(self, folder):
        self.folder = folder

    def export(self, text):
        fd, path = tempfile.mkstemp(dir=self.folder, suffix=".txt")
        os.close(fd)
        with open(path, "w") as f:
            f.write(text)
        return os.path.basename(path).endswith(".txt")

    def scratch(self, text):
        path = os.path.join(self.folder, tempfile.mktemp(dir=""))
        with open(path, "w") as f:
            f.write(text)
        return len(os.listdir(self.folder))


# --- drivers ---
UNTOUCHED = "a fresh tempfile path is private to the call"


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    exporter = m.Exporter(str(_tmp()))
    return [exporter.export("a"), exporter.scratch("b")]


def threaded(m):
    m.shared = m.Exporter(str(_tmp()))
    return [lambda: m.shared.export("a"), lambda: m.shared.export("b")]
