"""Rows streamed by a generator that holds the connection across `yield`: a pooled checkout would
stay taken while the consumer is suspended (and a consumer that writes through the same pool in
the loop would wait for itself), so no fix."""

import sqlite3


def names(db_path):
    with sqlite3.connect(db_path) as conn:
        for (name,) in conn.execute("SELECT name FROM ev ORDER BY rowid"):
            yield name


def rows_later(db_path):
    conn = sqlite3.connect(db_path)
    cur = conn.execute("SELECT name FROM ev ORDER BY rowid")
    return (row[0] for row in cur)


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
    return [list(m.names(path)), list(m.rows_later(path))]


def threaded(m):
    path = _db(["a"])
    m.seen = []
    return [lambda: m.seen.append(list(m.names(path))), lambda: m.seen.append(list(m.rows_later(path)))]


def invariant(m):
    return sorted(m.seen) == [["a"], ["a"]]
