"""A method reads through its own per-call connection while the caller's connection holds an
uncommitted write: the nested pooled checkout gets a second connection, which (like the separate
connection before) sees only committed rows."""

import sqlite3


class Orders:
    def __init__(self, db_path):
        self.db_path = db_path
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS o (item TEXT)")

    def committed_count(self):
        conn = sqlite3.connect(self.db_path)
        n = conn.execute("SELECT COUNT(*) FROM o").fetchone()[0]
        conn.close()
        return n

    def place(self, item):
        conn = sqlite3.connect(self.db_path)
        conn.execute("INSERT INTO o VALUES (?)", (item,))
        seen_before_commit = self.committed_count()
        conn.commit()
        conn.close()
        return seen_before_commit


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _orders(m):
    import tempfile
    from pathlib import Path

    return m.Orders(str(Path(tempfile.mkdtemp()) / "o.db"))


def single_threaded(m):
    orders = _orders(m)
    return [orders.place("a"), orders.place("b"), orders.committed_count()]


def threaded(m):
    m.shared = _orders(m)
    return [lambda: m.shared.place("a"), lambda: m.shared.committed_count()]


def invariant(m):
    return m.shared.committed_count() == 1
