"""A subclass sets `self.db_path` after `super().__init__()`: a pool built in the base `__init__`
from the base's path would write to the wrong database."""

import sqlite3


class Store:
    def __init__(self, db_path):
        self.db_path = db_path
        self._setup()

    def _setup(self):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")

    def put(self, key, value):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))

    def get(self, key):
        with sqlite3.connect(self.db_path) as conn:
            row = conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None


class ArchiveStore(Store):
    def __init__(self, folder):
        super().__init__(folder + "/main.db")
        self.db_path = folder + "/archive.db"
        self._setup()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import os
    import sqlite3
    import tempfile

    folder = tempfile.mkdtemp()
    archive = m.ArchiveStore(folder)
    archive.put("a", "1")
    main = sqlite3.connect(folder + "/main.db")
    in_main = main.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
    main.close()
    return [archive.get("a"), in_main, sorted(f for f in os.listdir(folder) if f.endswith(".db"))]


def threaded(m):
    import tempfile

    m.shared = m.ArchiveStore(tempfile.mkdtemp())
    return [lambda: m.shared.put("a", "1"), lambda: m.shared.put("b", "2")]


def invariant(m):
    return (m.shared.get("a"), m.shared.get("b")) == ("1", "2")
