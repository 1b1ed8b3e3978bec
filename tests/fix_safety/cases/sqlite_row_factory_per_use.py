"""`conn.row_factory = sqlite3.Row` set on a per-call connection: the pool resets it when the
connection comes back, so the next user (which reads tuples) still gets tuples."""

import sqlite3


def as_dicts(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(row) for row in conn.execute("SELECT k, v FROM t ORDER BY k")]
    conn.close()
    return rows


def as_tuples(db_path):
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()
    conn.close()
    return rows


def add(db_path, key, value):
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO t VALUES (?, ?)", (key, value))
    conn.commit()
    conn.close()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _db():
    import sqlite3
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "t.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (k TEXT, v INTEGER)")
    conn.close()
    return path


def _rows(path):
    import sqlite3

    conn = sqlite3.connect(path)
    rows = sorted(conn.execute("SELECT k, v FROM t"))
    conn.close()
    return rows


def single_threaded(m):
    path = _db()
    m.add(path, "a", 1)
    return [m.as_dicts(path), m.as_tuples(path), m.as_dicts(path), m.as_tuples(path)]


def threaded(m):
    m.path = _db()
    m.add(m.path, "a", 1)
    m.seen = []
    return [lambda: m.seen.append(m.as_dicts(m.path)), lambda: m.seen.append(m.as_tuples(m.path))]


def invariant(m):
    return sorted(map(repr, m.seen)) == ["[('a', 1)]", "[{'k': 'a', 'v': 1}]"]
