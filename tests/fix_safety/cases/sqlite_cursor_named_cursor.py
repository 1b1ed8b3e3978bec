"""A local named `cursor` (`cursor = conn.cursor()`): `conn.cursor` must not read as a use of that
local, or the fix is skipped where it is safe (in a real tree this left 20 of 39 sites unfixed)."""

import sqlite3


class Inventory:
    def __init__(self, db_path):
        self.db_path = db_path
        conn = sqlite3.connect(self.db_path)
        cursor = conn.cursor()
        cursor.execute("CREATE TABLE IF NOT EXISTS stock (item TEXT PRIMARY KEY, n INTEGER)")
        conn.commit()
        conn.close()

    def add(self, item, n):
        conn = sqlite3.connect(self.db_path)
        cursor = conn.cursor()
        cursor.execute("INSERT OR IGNORE INTO stock VALUES (?, 0)", (item,))
        cursor.execute("UPDATE stock SET n = n + ? WHERE item = ?", (n, item))
        conn.commit()
        conn.close()

    def count(self, item):
        conn = sqlite3.connect(self.db_path)
        cursor = conn.cursor()
        cursor.execute("SELECT n FROM stock WHERE item = ?", (item,))
        row = cursor.fetchone()
        conn.close()
        return row[0] if row else 0


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _inventory(m):
    import tempfile
    from pathlib import Path

    return m.Inventory(str(Path(tempfile.mkdtemp()) / "stock.db"))


def single_threaded(m):
    inventory = _inventory(m)
    inventory.add("bolt", 3)
    inventory.add("bolt", 2)
    return [inventory.count("bolt"), inventory.count("nut")]


def threaded(m):
    m.shared = _inventory(m)
    return [lambda: m.shared.add("bolt", 1), lambda: m.shared.add("nut", 2)]


def invariant(m):
    return (m.shared.count("bolt"), m.shared.count("nut")) == (1, 2)
