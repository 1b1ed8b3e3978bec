"""`connect(path, timeout=30)` and a positional timeout: the pool sets its own busy timeout, so the
fix drops them (and says so) and the data stays the same."""

import sqlite3


def put(db_path, key, value):
    conn = sqlite3.connect(db_path, timeout=30)
    conn.execute("INSERT INTO t VALUES (?, ?)", (key, value))
    conn.commit()
    conn.close()


def get(db_path, key):
    conn = sqlite3.connect(db_path, 15.0)
    row = conn.execute("SELECT v FROM t WHERE k = ?", (key,)).fetchone()
    conn.close()
    return row[0] if row else None


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


def single_threaded(m):
    path = _db()
    m.put(path, "a", 1)
    return [m.get(path, "a"), m.get(path, "b")]


def threaded(m):
    m.path = _db()
    return [lambda: m.put(m.path, "a", 1), lambda: m.put(m.path, "b", 2)]


def invariant(m):
    return (m.get(m.path, "a"), m.get(m.path, "b")) == (1, 2)
