"""`connect(..., uri=True)` with `mode=ro`: the pool does not understand URI query parameters (a
pooled connection would be writable), so no fix."""

import sqlite3


def total(db_path):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    value = conn.execute("SELECT COALESCE(SUM(v), 0) FROM t").fetchone()[0]
    conn.close()
    return value


def try_write(db_path):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.execute("INSERT INTO t VALUES ('x', 1)")
        conn.commit()
        return "written"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        conn.close()


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
    return [m.try_write(path), m.total(path)]


def threaded(m):
    path = _db()
    m.seen = []
    return [lambda: m.seen.append(m.total(path)), lambda: m.seen.append(m.try_write(path))]


def invariant(m):
    return sorted(map(str, m.seen)) == ["0", "attempt to write a readonly database"]
