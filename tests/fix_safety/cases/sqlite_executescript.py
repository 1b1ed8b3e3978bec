"""`executescript` (which commits first and runs its own statements) in a pooled connection."""

import sqlite3


def migrate(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
        INSERT OR IGNORE INTO meta VALUES ('version', '1');
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version';
        """
    )
    conn.close()


def version(db_path):
    conn = sqlite3.connect(db_path)
    row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    conn.close()
    return row[0]


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


def _rows(path):
    import sqlite3

    conn = sqlite3.connect(path)
    rows = sorted(conn.execute("SELECT k, v FROM t"))
    conn.close()
    return rows


def single_threaded(m):
    path = _db()
    m.migrate(path)
    first = m.version(path)
    m.migrate(path)
    return [first, m.version(path)]


def threaded(m):
    m.path = _db()
    return [lambda: m.migrate(m.path), lambda: m.migrate(m.path)]


def invariant(m):
    return m.version(m.path) == "3"
