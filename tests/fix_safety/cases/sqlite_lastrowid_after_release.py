"""`cur.lastrowid` read after the connection is closed: a plain value on the cursor, still valid
after a pooled connection went back, so the fix applies."""

import sqlite3


def insert(db_path, key):
    conn = sqlite3.connect(db_path)
    cur = conn.cursor()
    cur.execute("INSERT INTO t (k) VALUES (?)", (key,))
    conn.commit()
    conn.close()
    return cur.lastrowid


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _db():
    import sqlite3
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "t.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT)")
    conn.close()
    return path


def _rows(path):
    import sqlite3

    conn = sqlite3.connect(path)
    rows = sorted(conn.execute("SELECT id, k FROM t"))
    conn.close()
    return rows


def single_threaded(m):
    path = _db()
    return [m.insert(path, "a"), m.insert(path, "b"), _rows(path)]


def threaded(m):
    m.path = _db()
    m.ids = []
    return [lambda: m.ids.append(m.insert(m.path, "a")), lambda: m.ids.append(m.insert(m.path, "b"))]


def invariant(m):
    return sorted(m.ids) == [1, 2] and [k for _, k in _rows(m.path)] in (["a", "b"], ["b", "a"])
