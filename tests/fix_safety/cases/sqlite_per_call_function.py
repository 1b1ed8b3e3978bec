"""`sqlite3.connect` per call in a function (CRL201, unsafe): pooled `with ... get_connection()`."""

import sqlite3

DB = None


def init():
    conn = sqlite3.connect(DB)
    conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
    conn.commit()
    conn.close()


def put(key, value):
    conn = sqlite3.connect(DB)
    conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))
    conn.commit()
    conn.close()


def get(key):
    conn = sqlite3.connect(DB)
    row = conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
    conn.close()
    return row[0] if row else None


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _point_to_tmp(m):
    import tempfile
    from pathlib import Path

    m.DB = str(Path(tempfile.mkdtemp()) / "kv.db")
    m.init()


def single_threaded(m):
    _point_to_tmp(m)
    m.put("a", "1")
    m.put("a", "2")
    return [m.get("a"), m.get("missing")]


def threaded(m):
    _point_to_tmp(m)
    return [lambda: m.put("a", "1"), lambda: m.put("b", "2")]


def invariant(m):
    return (m.get("a"), m.get("b")) == ("1", "2")
