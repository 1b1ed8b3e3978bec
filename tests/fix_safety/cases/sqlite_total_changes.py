"""`conn.total_changes` reports the rows changed since the connection was opened: on a fresh
per-call connection that is this call's changes, on a pooled one every earlier user's too, so
no fix."""

import sqlite3


def upsert_all(db_path, pairs):
    conn = sqlite3.connect(db_path)
    for key, value in pairs:
        conn.execute("DELETE FROM t WHERE k = ?", (key,))
        conn.execute("INSERT INTO t VALUES (?, ?)", (key, value))
    conn.commit()
    changed = conn.total_changes
    conn.close()
    return changed


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


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
    return [m.upsert_all(path, [("a", 1)]), m.upsert_all(path, [("a", 2), ("b", 3)])]


def threaded(m):
    m.path = _db()
    m.seen = []
    return [lambda: m.seen.append(m.upsert_all(m.path, [("a", 1)])), lambda: m.seen.append(m.upsert_all(m.path, [("b", 1)]))]


def invariant(m):
    return m.seen == [1, 1]
