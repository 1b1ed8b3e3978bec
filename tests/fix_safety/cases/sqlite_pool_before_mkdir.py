"""The path is set before `os.makedirs` of its folder: the pool created in `__init__` right after
`self.db_path = ...` must not connect yet (the folder does not exist)."""

import os
import sqlite3


class Journal:
    def __init__(self, root):
        self.db_path = os.path.join(root, "data", "journal.db")
        os.makedirs(os.path.dirname(self.db_path), exist_ok=True)
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS j (entry TEXT)")

    def write(self, entry):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT INTO j VALUES (?)", (entry,))

    def entries(self):
        with sqlite3.connect(self.db_path) as conn:
            return [row[0] for row in conn.execute("SELECT entry FROM j ORDER BY rowid")]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import os
    import tempfile

    root = tempfile.mkdtemp()
    journal = m.Journal(root)
    journal.write("first")
    return [journal.entries(), sorted(os.listdir(root))]


def threaded(m):
    import tempfile

    m.shared = m.Journal(tempfile.mkdtemp())
    return [lambda: m.shared.write("a"), lambda: m.shared.write("b")]


def invariant(m):
    return sorted(m.shared.entries()) == ["a", "b"]
