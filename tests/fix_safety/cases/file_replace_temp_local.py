"""A hand-written atomic save through a local temp path (CRL301): the lock covers the write and
the `os.replace` that publishes it; no atomic helper (the code already publishes atomically)."""

import os


class Store:
    def __init__(self, path):
        self.path = path
        self.saves = 0

    def save(self, text):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        self.saves += 1
        os.replace(tmp, self.path)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    import os

    store = m.Store(str(_tmp() / "store.txt"))
    store.save("one")
    store.save("two")
    return [open(store.path).read(), sorted(os.listdir(os.path.dirname(store.path)))]


def threaded(m):
    m.shared = m.Store(str(_tmp() / "store.txt"))
    return [lambda: m.shared.save("a"), lambda: m.shared.save("b")]


def invariant(m):
    return m.shared.saves == 2 and open(m.shared.path).read() in ("a", "b")
