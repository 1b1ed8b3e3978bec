"""`sqlite3.connect(self.db_path)` per method call (CRL201): the pool is created in `__init__`."""

import sqlite3


class Notes:
    def __init__(self, db_path):
        self.db_path = db_path
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)")

    def add(self, body):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT INTO notes VALUES (?)", (body,))

    def all(self):
        conn = sqlite3.connect(self.db_path)
        try:
            return [row[0] for row in conn.execute("SELECT body FROM notes ORDER BY rowid")]
        finally:
            conn.close()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _notes(m):
    import tempfile
    from pathlib import Path

    return m.Notes(str(Path(tempfile.mkdtemp()) / "notes.db"))


def single_threaded(m):
    notes = _notes(m)
    notes.add("x")
    notes.add("y")
    return [notes.all()]


def threaded(m):
    m.shared = _notes(m)
    return [lambda: m.shared.add("x"), lambda: m.shared.add("y")]


def invariant(m):
    return sorted(m.shared.all()) == ["x", "y"]
