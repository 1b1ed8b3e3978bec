"""A handler that swallows the error after closing: closing discarded the failed transaction, so
inside the checkout the close becomes `conn.rollback()` (the pool would otherwise commit it)."""

import sqlite3


def add_pair(db_path, first, second):
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("INSERT INTO t (k) VALUES (?)", (first,))
        conn.execute("INSERT INTO t (id, k) VALUES (2, ?)", (second,))
        conn.commit()
        conn.close()
        return True
    except sqlite3.IntegrityError:
        conn.close()
        return False


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
    return [m.add_pair(path, "x", "y"), m.add_pair(path, "p", "q"), _rows(path)]


def threaded(m):
    m.path = _db()
    m.ok = []
    return [lambda: m.ok.append(m.add_pair(m.path, "a", "b")), lambda: m.ok.append(m.add_pair(m.path, "c", "d"))]


def invariant(m):
    return sorted(m.ok) == [False, True] and len(_rows(m.path)) == 2
