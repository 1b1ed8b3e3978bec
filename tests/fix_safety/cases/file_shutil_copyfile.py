"""`shutil.copyfile(src, self.path)` onto a shared path (CRL301): the copy truncates and rewrites
the destination in place, so it takes the lock (no atomic form); the read after it (CRL302) too."""

import shutil


class Mirror:
    def __init__(self, path):
        self.path = path

    def pull(self, source):
        shutil.copyfile(source, self.path)
        return self.path.read_text()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    folder = _tmp()
    (folder / "src.txt").write_text("data")
    return m.Mirror(folder / "dst.txt").pull(folder / "src.txt")


def threaded(m):
    folder = _tmp()
    (folder / "a.txt").write_text("aaaa")
    (folder / "b.txt").write_text("b")
    m.shared = m.Mirror(folder / "dst.txt")
    m.seen = []
    return [lambda: m.seen.append(m.shared.pull(folder / "a.txt")), lambda: m.seen.append(m.shared.pull(folder / "b.txt"))]


def invariant(m):
    return sorted(m.seen) in (["aaaa", "b"], ["aaaa", "aaaa"], ["b", "b"]) and m.shared.path.read_text() in ("aaaa", "b")
