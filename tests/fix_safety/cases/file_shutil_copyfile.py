"""`shutil.copyfile(src, self.path)` publishing to a shared path: copies are not analysed (the
rule page's known problems); racelint leaves it alone rather than guess."""

import shutil


class Mirror:
    def __init__(self, path):
        self.path = path

    def pull(self, source):
        shutil.copyfile(source, self.path)
        return self.path.read_text()


# --- drivers ---
UNTOUCHED = "shutil.copyfile is not analysed (KNOWN_PROBLEMS of CRL301)"


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    folder = _tmp()
    (folder / "src.txt").write_text("data")
    return m.Mirror(folder / "dst.txt").pull(folder / "src.txt")


def threaded(m):
    return [lambda: None]
