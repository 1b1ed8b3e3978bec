"""`with sqlite3.connect(p) as conn:` commits but does not close: code that keeps using `conn`
after the block relies on that, and a pooled connection would already be back in the pool."""

import sqlite3


def add_and_count(db_path, value):
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
    return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def _db():
    import sqlite3
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "t.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v)")
    return path


def single_threaded(m):
    path = _db()
    return [m.add_and_count(path, 1), m.add_and_count(path, 2)]


def threaded(m):
    path = _db()
    m.counts = []
    return [lambda: m.counts.append(m.add_and_count(path, 1)), lambda: m.counts.append(m.add_and_count(path, 2))]


def invariant(m):
    return sorted(m.counts)[-1] == 2
