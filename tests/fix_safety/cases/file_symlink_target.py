"""The shared path is a symlink to the real file (a dotfile managed elsewhere) (CRL301): the
atomic form writes through the link; the link stays a link and its target gets the content."""


class Dotfile:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        with open(self.path, "w") as f:
            f.write(text)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _linked(m):
    folder = _tmp()
    (folder / "real.txt").write_text("old")
    (folder / "link.txt").symlink_to(folder / "real.txt")
    return m.Dotfile(folder / "link.txt"), folder


def single_threaded(m):
    dotfile, folder = _linked(m)
    dotfile.save("new")
    link = folder / "link.txt"
    return [link.is_symlink(), (folder / "real.txt").read_text(), sorted(p.name for p in folder.iterdir())]


def threaded(m):
    m.shared, m.folder = _linked(m)
    return [lambda: m.shared.save("a"), lambda: m.shared.save("b")]


def invariant(m):
    return (m.folder / "link.txt").is_symlink() and (m.folder / "real.txt").read_text() in ("a", "b")
