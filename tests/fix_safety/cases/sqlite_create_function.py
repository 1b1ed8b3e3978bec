"""`conn.create_function("score", ...)` registers a function on the connection: a pooled
connection would keep it for the next user (and give `score` to code that never registered it),
so no fix."""

import sqlite3


def ranked(db_path, weight):
    conn = sqlite3.connect(db_path)
    conn.create_function("score", 1, lambda v: v * weight)
    rows = conn.execute("SELECT k, score(v) FROM t ORDER BY score(v) DESC").fetchall()
    conn.close()
    return rows


def plain_score(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT score(v) FROM t").fetchall()
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        conn.close()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)  # plain_score only: ranked() keeps its own connection


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
    import sqlite3

    path = _db()
    conn = sqlite3.connect(path)
    conn.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2)])
    conn.commit()
    conn.close()
    return [m.ranked(path, 10), m.plain_score(path)]


def threaded(m):
    m.path = _db()
    m.seen = []
    return [lambda: m.seen.append(m.ranked(m.path, 2)), lambda: m.seen.append(m.plain_score(m.path))]


def invariant(m):
    return "no such function: score" in m.seen
