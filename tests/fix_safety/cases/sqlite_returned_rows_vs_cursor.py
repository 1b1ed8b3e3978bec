"""Rows fetched inside the block (`fetchall()`, a list built from the cursor) are plain values and
may be returned after the checkout ends; the function returning the cursor itself gets no fix."""

import sqlite3


class Catalog:
    def __init__(self, db_path):
        self.db_path = db_path
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE TABLE IF NOT EXISTS items (name TEXT, price INTEGER)")
        conn.commit()
        conn.close()

    def add(self, name, price):
        conn = sqlite3.connect(self.db_path)
        conn.execute("INSERT INTO items VALUES (?, ?)", (name, price))
        conn.commit()
        conn.close()

    def all_rows(self):
        conn = sqlite3.connect(self.db_path)
        rows = conn.execute("SELECT name, price FROM items ORDER BY name").fetchall()
        conn.close()
        return rows

    def names(self):
        with sqlite3.connect(self.db_path) as conn:
            return [row[0] for row in conn.execute("SELECT name FROM items ORDER BY name")]

    def cursor_over(self, limit):
        conn = sqlite3.connect(self.db_path)
        return conn.execute("SELECT name FROM items ORDER BY price LIMIT ?", (limit,))


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _catalog(m):
    import tempfile
    from pathlib import Path

    return m.Catalog(str(Path(tempfile.mkdtemp()) / "items.db"))


def single_threaded(m):
    catalog = _catalog(m)
    catalog.add("pear", 3)
    catalog.add("apple", 2)
    return [catalog.all_rows(), catalog.names(), catalog.cursor_over(1).fetchall()]


def threaded(m):
    m.shared = _catalog(m)
    return [lambda: m.shared.add("x", 1), lambda: m.shared.add("y", 2)]


def invariant(m):
    return m.shared.names() == ["x", "y"]
