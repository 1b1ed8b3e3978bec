"""A write followed by `f.flush()` and `os.fsync(f.fileno())` (CRL301): inside the atomic form
the file object is the temp file's, so both still work (and the helper fsyncs again)."""

import os


class Ledger:
    def __init__(self, path):
        self.path = path

    def commit(self, entries):
        with open(self.path, "w") as f:
            f.write("\n".join(entries))
            f.flush()
            os.fsync(f.fileno())
        return len(entries)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    ledger = m.Ledger(_tmp() / "ledger.txt")
    return [ledger.commit(["a", "b"]), ledger.path.read_text()]


def threaded(m):
    m.shared = m.Ledger(_tmp() / "ledger.txt")
    return [lambda: m.shared.commit(["a"]), lambda: m.shared.commit(["b", "c"])]


def invariant(m):
    return m.shared.path.read_text() in ("a", "b\nc")
