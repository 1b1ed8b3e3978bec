"""A cursor escaping through `filter`: `with sqlite3.connect()` leaves the connection open, so the
lazy `filter` still reads it after the return; a pooled connection would be back in the pool and
handed to the next thread while the caller iterates (use after release), so no fix."""

import sqlite3


def names(db_path):
    with sqlite3.connect(db_path) as conn:
        return filter(None, conn.execute("SELECT name FROM ev ORDER BY rowid"))


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def _db(names):
    import sqlite3
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "ev.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ev (name TEXT)")
        conn.executemany("INSERT INTO ev VALUES (?)", [(n,) for n in names])
    return path


def single_threaded(m):
    path = _db(["a", "b"])
    return [list(m.names(path)), list(m.names(path))]


def threaded(m):
    path = _db(["a"])
    m.seen = []
    return [lambda: m.seen.append(list(m.names(path))), lambda: m.seen.append(list(m.names(path)))]


def invariant(m):
    return len(m.seen) == 2 and m.seen[0] == m.seen[1]
