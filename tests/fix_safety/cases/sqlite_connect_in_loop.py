"""A connection opened per item in a loop, closed at the end of each iteration."""

import sqlite3


def merge(db_paths, table):
    total = 0
    for path in db_paths:
        conn = sqlite3.connect(path)
        total += conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        conn.close()
    return total


def stamp(db_paths, value):
    for path in db_paths:
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO s VALUES (?)", (value,))
        conn.commit()
        conn.close()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _dbs(n):
    import sqlite3
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    paths = []
    for i in range(n):
        path = str(folder / f"{i}.db")
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE s (v)")
        conn.close()
        paths.append(path)
    return paths


def single_threaded(m):
    paths = _dbs(3)
    m.stamp(paths, 1)
    m.stamp(paths[:2], 2)
    return [m.merge(paths, "s"), m.merge(paths[2:], "s")]


def threaded(m):
    m.paths = _dbs(2)
    return [lambda: m.stamp(m.paths, 1), lambda: m.stamp(m.paths, 2)]


def invariant(m):
    return m.merge(m.paths, "s") == 4
