"""The database path is a `pathlib.Path` kept on the object: the pool takes any path-like, and
`self.db_path` keeps its type for the code that reads it."""

import sqlite3
from pathlib import Path


class Notes:
    def __init__(self, folder):
        self.db_path = Path(folder) / "notes.db"
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS n (body TEXT)")

    def add(self, body):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT INTO n VALUES (?)", (body,))

    def bodies(self):
        with sqlite3.connect(self.db_path) as conn:
            return [row[0] for row in conn.execute("SELECT body FROM n ORDER BY rowid")]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import tempfile

    notes = m.Notes(tempfile.mkdtemp())
    notes.add("x")
    return [notes.bodies(), type(notes.db_path).__name__, notes.db_path.name]


def threaded(m):
    import tempfile

    m.shared = m.Notes(tempfile.mkdtemp())
    return [lambda: m.shared.add("a"), lambda: m.shared.add("b")]


def invariant(m):
    return sorted(m.shared.bodies()) == ["a", "b"]
