"""`executemany` of a batch, committed, and its `rowcount` read after the connection is released
(a plain value, valid after release)."""

import sqlite3


def load(db_path, pairs):
    conn = sqlite3.connect(db_path)
    cur = conn.executemany("INSERT INTO t VALUES (?, ?)", pairs)
    conn.commit()
    conn.close()
    return cur.rowcount


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
    n = m.load(path, [("a", 1), ("b", 2), ("c", 3)])
    return [n, _rows(path)]


def threaded(m):
    m.path = _db()
    return [lambda: m.load(m.path, [("a", 1)]), lambda: m.load(m.path, [("b", 2), ("c", 3)])]


def invariant(m):
    return _rows(m.path) == [("a", 1), ("b", 2), ("c", 3)]
