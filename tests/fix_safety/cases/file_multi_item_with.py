"""`with open(src) as source, open(self.path, "w") as out:` (CRL301): only the write's item becomes
the atomic helper; the read item and the body are kept."""


class Copier:
    def __init__(self, path):
        self.path = path

    def upper(self, source_path):
        with open(source_path) as source, open(self.path, "w") as out:
            out.write(source.read().upper())


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    folder = _tmp()
    (folder / "in.txt").write_text("hello")
    copier = m.Copier(folder / "out.txt")
    copier.upper(folder / "in.txt")
    return copier.path.read_text()


def threaded(m):
    folder = _tmp()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("bb")
    m.shared = m.Copier(folder / "out.txt")
    return [lambda: m.shared.upper(folder / "a.txt"), lambda: m.shared.upper(folder / "b.txt")]


def invariant(m):
    return m.shared.path.read_text() in ("A", "BB")
