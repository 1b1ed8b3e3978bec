"""`tmp.write_text(...)` then `tmp.replace(self.path)` (pathlib's publish) (CRL301): the lock
covers the write and the `replace`; the code already publishes atomically, so no helper."""


class Store:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.path)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    store = m.Store(_tmp() / "store.txt")
    store.save("one")
    store.save("two")
    return [store.path.read_text(), sorted(p.name for p in store.path.parent.iterdir())]


def threaded(m):
    m.shared = m.Store(_tmp() / "store.txt")
    return [lambda: m.shared.save("a"), lambda: m.shared.save("b")]


def invariant(m):
    return m.shared.path.read_text() in ("a", "b")
