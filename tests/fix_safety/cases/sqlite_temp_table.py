"""`CREATE TEMP TABLE` per call: a temp table lives as long as the connection, so a pooled one
would still hold it on the next call ("table scratch already exists"), so no fix."""

import sqlite3


def dedupe_count(db_path, keys):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TEMP TABLE scratch (k TEXT)")
    conn.executemany("INSERT INTO scratch VALUES (?)", [(k,) for k in keys])
    count = conn.execute("SELECT COUNT(DISTINCT k) FROM scratch").fetchone()[0]
    conn.close()
    return count


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
    return [m.dedupe_count(path, ["a", "a", "b"]), m.dedupe_count(path, ["c"])]


def threaded(m):
    m.path = _db()
    m.seen = []
    return [lambda: m.seen.append(m.dedupe_count(m.path, ["a"])), lambda: m.seen.append(m.dedupe_count(m.path, ["b", "c"]))]


def invariant(m):
    return sorted(m.seen) == [1, 2]
