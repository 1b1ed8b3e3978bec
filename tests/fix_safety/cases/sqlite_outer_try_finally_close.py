"""`conn = None` / `try: conn = sqlite3.connect(...)` / `finally: if conn: conn.close()`: the
checkout replaces the try, and an error still leaves no row behind."""

import sqlite3


def add(db_path, key, fail=False):
    conn = None
    try:
        conn = sqlite3.connect(db_path)
        conn.execute("INSERT INTO t (k) VALUES (?)", (key,))
        if fail:
            raise ValueError(key)
        conn.commit()
    finally:
        if conn:
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
    m.add(path, "a")
    try:
        m.add(path, "b", fail=True)
    except ValueError as error:
        failed = repr(error)
    return [failed, _rows(path)]


def _try(m, key, fail):
    try:
        m.add(m.path, key, fail)
    except ValueError:
        pass


def threaded(m):
    m.path = _db()
    return [lambda: _try(m, "a", False), lambda: _try(m, "b", True)]


def invariant(m):
    return [k for _, k in _rows(m.path)] == ["a"]
