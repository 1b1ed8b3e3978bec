"""Two per-call connections open at once (rows copied from one database to another, then
`backup()` to a third): each gets its own checkout, nested, and the copies hold the same rows."""

import sqlite3


def copy_rows(src_path, dst_path):
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(dst_path)
    dst.execute("CREATE TABLE IF NOT EXISTS t (k TEXT, v INTEGER)")
    for row in src.execute("SELECT k, v FROM t ORDER BY k"):
        dst.execute("INSERT INTO t VALUES (?, ?)", row)
    dst.commit()
    dst.close()
    src.close()


def snapshot(src_path, dst_path):
    with sqlite3.connect(src_path) as src, sqlite3.connect(dst_path) as dst:
        src.backup(dst)


def rows(path):
    conn = sqlite3.connect(path)
    out = conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()
    conn.close()
    return out


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _source():
    import sqlite3
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    path = str(folder / "src.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (k TEXT, v INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2)])
    conn.close()
    return folder, path


def single_threaded(m):
    folder, src = _source()
    m.copy_rows(src, str(folder / "copy.db"))
    m.snapshot(src, str(folder / "snap.db"))
    return [m.rows(str(folder / "copy.db")), m.rows(str(folder / "snap.db"))]


def threaded(m):
    folder, src = _source()
    m.targets = [str(folder / "one.db"), str(folder / "two.db")]
    return [lambda: m.copy_rows(src, m.targets[0]), lambda: m.copy_rows(src, m.targets[1])]


def invariant(m):
    return m.rows(m.targets[0]) == m.rows(m.targets[1]) == [("a", 1), ("b", 2)]
