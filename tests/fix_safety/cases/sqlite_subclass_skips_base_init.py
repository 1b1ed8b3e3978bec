"""A subclass whose `__init__` never calls the base's (it sets its own path): a pool created in
the base `__init__` would not exist on it (AttributeError) or would serve the base's path."""

import sqlite3


class Counter:
    def __init__(self, db_path):
        self.db_path = db_path
        self._create()

    def _create(self):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS c (n INTEGER)")

    def bump(self):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT INTO c VALUES (1)")

    def total(self):
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute("SELECT COUNT(*) FROM c").fetchone()[0]


class TempCounter(Counter):
    def __init__(self, folder):
        self.db_path = folder + "/temp.db"
        self._create()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import os
    import tempfile

    folder = tempfile.mkdtemp()
    counter = m.TempCounter(folder)
    counter.bump()
    counter.bump()
    return [counter.total(), sorted(f for f in os.listdir(folder) if f.endswith(".db"))]  # not the WAL files


def threaded(m):
    import tempfile

    m.shared = m.TempCounter(tempfile.mkdtemp())
    return [m.shared.bump, m.shared.bump]


def invariant(m):
    return m.shared.total() == 2
