"""A hand-written "safe" save through one fixed temp name that every instance in the folder
shares (CRL301): an instance lock cannot keep two instances apart, so the atomic form replaces
the temp file and the `os.replace` with the atomic helper (a unique temp file per write)."""

import os


class Store:
    saves = 0

    def __init__(self, folder, name):
        self.folder = folder
        self.name = name

    def save(self, text):
        tmp = os.path.join(self.folder, "save.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        Store.saves += 1
        os.replace(tmp, os.path.join(self.folder, self.name))


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    folder = str(_tmp())
    m.Store(folder, "a.txt").save("one")
    m.Store(folder, "b.txt").save("two")
    return [sorted(os.listdir(folder)) for os in [__import__("os")]] + [open(folder + "/b.txt").read()]


def threaded(m):
    folder = str(_tmp())
    m.folder = folder
    first, second = m.Store(folder, "a.txt"), m.Store(folder, "b.txt")
    return [lambda: first.save("a"), lambda: second.save("b")]


def invariant(m):
    return open(m.folder + "/a.txt").read() == "a" and open(m.folder + "/b.txt").read() == "b"
