"""A per-call connection opened with `check_same_thread=False` and handed to a worker thread: the
connection is meant to cross threads deliberately, so no fix."""

import sqlite3
import threading


def insert_in_worker(db_path, key):
    conn = sqlite3.connect(db_path, check_same_thread=False)
    worker = threading.Thread(target=lambda: conn.execute("INSERT INTO t VALUES (?, 1)", (key,)))
    worker.start()
    worker.join()
    conn.commit()
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


def _keys(path):
    import sqlite3

    conn = sqlite3.connect(path)
    keys = sorted(row[0] for row in conn.execute("SELECT k FROM t"))
    conn.close()
    return keys


def single_threaded(m):
    path = _db()
    m.insert_in_worker(path, "a")
    return [_keys(path)]


def threaded(m):
    m.path = _db()
    return [lambda: m.insert_in_worker(m.path, "a")]


def invariant(m):
    return _keys(m.path) == ["a"]
