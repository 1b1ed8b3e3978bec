"""`Path.write_text` with an explicit encoding on an attribute path (CRL301): the atomic form is
`atomic_write_text(path, text, encoding=...)`, same bytes."""


class Note:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        self.path.write_text(text, encoding="utf-16")

    def load(self):
        return self.path.read_text(encoding="utf-16")


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    note = m.Note(_tmp() / "note.txt")
    note.save("h\u00e9llo")
    return [note.load(), note.path.read_bytes()]


def threaded(m):
    m.shared = m.Note(_tmp() / "note.txt")
    return [lambda: m.shared.save("one"), lambda: m.shared.save("two")]


def invariant(m):
    return m.shared.load() in ("one", "two")
