"""`io.open(path, mode="w", encoding=...)` with the mode as a keyword (CRL301)."""

import io


class Log:
    def __init__(self, path):
        self.path = path

    def rewrite(self, lines):
        with io.open(self.path, mode="w", encoding="utf-8") as f:
            f.write("\n".join(lines))


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    log = m.Log(_tmp() / "log.txt")
    log.rewrite(["x", "y"])
    return log.path.read_text(encoding="utf-8")


def threaded(m):
    m.shared = m.Log(_tmp() / "log.txt")
    return [lambda: m.shared.rewrite(["a"]), lambda: m.shared.rewrite(["b"])]


def invariant(m):
    return m.shared.path.read_text(encoding="utf-8") in ("a", "b")
