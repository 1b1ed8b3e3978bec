"""`ATTACH DATABASE ... AS archive` on a per-call connection: a pooled connection stays attached,
so the next call's `ATTACH` of the same name fails ("database archive is already in use"), so no fix."""

import sqlite3


def archive_all(db_path, archive_path):
    conn = sqlite3.connect(db_path)
    conn.execute("ATTACH DATABASE ? AS archive", (archive_path,))
    conn.execute("CREATE TABLE IF NOT EXISTS archive.t (k TEXT, v INTEGER)")
    conn.execute("INSERT INTO archive.t SELECT * FROM main.t")
    conn.execute("DELETE FROM main.t")
    conn.commit()
    moved = conn.execute("SELECT COUNT(*) FROM archive.t").fetchone()[0]
    conn.close()
    return moved


def add(db_path, key):
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO t VALUES (?, 1)", (key,))
    conn.commit()
    conn.close()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


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
    archive = path + ".archive"
    m.add(path, "a")
    first = m.archive_all(path, archive)
    m.add(path, "b")
    return [first, m.archive_all(path, archive)]


def threaded(m):
    m.path = _db()
    return [lambda: m.add(m.path, "a"), lambda: m.add(m.path, "b")]


def invariant(m):
    return m.archive_all(m.path, m.path + ".archive") == 2
