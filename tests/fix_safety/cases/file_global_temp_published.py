"""Every store publishes through one module-global temp path (CRL301): the module lock keeps
all writers of it apart, and the atomic styles drop the shared temp for the helper's own."""

import os

SCRATCH = "scratch.tmp"


class Store:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        with open(SCRATCH, "w") as f:
            f.write(text)
        os.replace(SCRATCH, self.path)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    folder = _tmp()
    m.SCRATCH = str(folder / "scratch.tmp")
    m.Store(str(folder / "a.txt")).save("one")
    m.Store(str(folder / "b.txt")).save("two")
    return [sorted(p.name for p in folder.iterdir()), (folder / "b.txt").read_text()]


def threaded(m):
    folder = _tmp()
    m.SCRATCH = str(folder / "scratch.tmp")
    m.folder = folder
    first, second = m.Store(str(folder / "a.txt")), m.Store(str(folder / "b.txt"))
    return [lambda: first.save("a"), lambda: second.save("b")]


def invariant(m):
    return (m.folder / "a.txt").read_text() == "a" and (m.folder / "b.txt").read_text() == "b"
