"""`closing(sqlite3.connect(p))` without a commit discards the insert when the connection closes;
the pooled checkout commits on normal exit (documented on CRL201's page), so the row is kept."""

import sqlite3
from contextlib import closing


def setup(db_path):
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS drafts (body TEXT)")
        conn.commit()


def draft(db_path, body):
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("INSERT INTO drafts VALUES (?)", (body,))


def count(db_path):
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)
UNSAFE_DIFFERENCE = "a pooled checkout commits on normal exit; closing() discarded the uncommitted insert"


def _path(m):
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "d.db")
    m.setup(path)
    return path


def single_threaded(m):
    path = _path(m)
    m.draft(path, "x")
    return [m.count(path)]


def threaded(m):
    m.path = _path(m)
    return [lambda: m.draft(m.path, "x"), lambda: m.draft(m.path, "y")]


def invariant(m):
    return m.count(m.path) in (0, 2)
