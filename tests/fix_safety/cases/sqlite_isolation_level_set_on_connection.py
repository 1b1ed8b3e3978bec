"""`conn.isolation_level = None` (autocommit) set on the connection, then explicit transactions:
the pool puts the default back when the connection returns, so other users still get implicit
transactions that a failure rolls back."""

import sqlite3


def bulk(db_path, pairs):
    conn = sqlite3.connect(db_path)
    conn.isolation_level = None
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t VALUES (?, ?)", pairs)
    conn.execute("COMMIT")
    conn.close()


def add_then_fail(db_path, key):
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("INSERT INTO t VALUES (?, 0)", (key,))
        raise RuntimeError("validation failed")
    except RuntimeError:
        conn.rollback()
    finally:
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
    m.bulk(path, [("a", 1), ("b", 2)])
    m.add_then_fail(path, "c")
    return [_rows(path)]


def threaded(m):
    m.path = _db()
    return [lambda: m.bulk(m.path, [("a", 1)]), lambda: m.add_then_fail(m.path, "c")]


def invariant(m):
    return _rows(m.path) == [("a", 1)]
