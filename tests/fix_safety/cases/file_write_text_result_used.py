"""`n = self.path.write_text(s)` uses the result (characters written) (CRL301): the atomic helper
returns None, so no atomic form; the lock form keeps the result."""


class Buffer:
    def __init__(self, path):
        self.path = path

    def flush(self, text):
        written = self.path.write_text(text)
        return written


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    buffer = m.Buffer(_tmp() / "b.txt")
    return [buffer.flush("hello"), buffer.path.read_text()]


def threaded(m):
    m.shared = m.Buffer(_tmp() / "b.txt")
    return [lambda: m.shared.flush("a"), lambda: m.shared.flush("bb")]


def invariant(m):
    return m.shared.path.read_text() in ("a", "bb")
