"""`with contextlib.closing(sqlite3.connect(p)) as conn:` with an explicit commit: the pooled
checkout commits too, so nothing changes."""

import sqlite3
from contextlib import closing


def record(db_path, name):
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS r (name TEXT)")
        conn.execute("INSERT INTO r VALUES (?)", (name,))
        conn.commit()


def names(db_path):
    with closing(sqlite3.connect(db_path)) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM r ORDER BY name")]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _path():
    import tempfile
    from pathlib import Path

    return str(Path(tempfile.mkdtemp()) / "r.db")


def single_threaded(m):
    path = _path()
    m.record(path, "b")
    m.record(path, "a")
    return [m.names(path)]


def threaded(m):
    m.path = _path()
    m.record(m.path, "seed")
    return [lambda: m.record(m.path, "x"), lambda: m.record(m.path, "y")]


def invariant(m):
    return m.names(m.path) == ["seed", "x", "y"]
