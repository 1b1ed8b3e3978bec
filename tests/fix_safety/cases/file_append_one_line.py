"""One line appended per append-mode open (joblib's `Logger.__call__`): the buffered line reaches
the file as one `O_APPEND` write when the `with` closes it, so lines from two threads cannot
interleave and neither truncates the file. Not reported (CRL301 `one_append`)."""


class Journal:
    def __init__(self, path):
        self.path = path

    def record(self, line):
        with open(self.path, "a", encoding="utf-8") as f:
            print(line, file=f)

    def lines(self):
        with open(self.path, encoding="utf-8") as f:
            return f.read().splitlines()


# --- drivers ---
UNTOUCHED = "one buffered line per O_APPEND open is appended whole: nothing to fix"


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
