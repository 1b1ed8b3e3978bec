"""Appends to a shared log path held in an attribute (CRL301): an append has no atomic form, so
every style gets the lock; the file keeps every appended line in order. Two writes per open: each
can be its own `write()`, so another thread's line can land between them (one write per open
is `file_append_one_line`, not reported)."""


class Journal:
    def __init__(self, path):
        self.path = path

    def record(self, line):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.write("\n")

    def lines(self):
        with open(self.path, encoding="utf-8") as f:
            return f.read().splitlines()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    journal = m.Journal(_tmp() / "journal.log")
    journal.record("one")
    journal.record("two")
    return journal.lines()


def threaded(m):
    m.shared = m.Journal(_tmp() / "journal.log")
    return [lambda: m.shared.record("a"), lambda: m.shared.record("b")]


def invariant(m):
    return sorted(m.shared.lines()) == ["a", "b"]
