"""A hand-written atomic save through `self.path + ".tmp"`, spelt inline twice (CRL301): the lock
must cover the `os.replace` too, or a second writer's open truncates the temp file the first
is about to publish and one `os.replace` finds no temp file."""

import os


class Store:
    def __init__(self, path):
        self.path = path
        self.saves = 0

    def save(self, text):
        with open(self.path + ".tmp", "w") as f:
            f.write(text)
        self.saves += 1
        os.replace(self.path + ".tmp", self.path)


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
