"""`detect_types=PARSE_DECLTYPES` turns a `DATE` column into `datetime.date`: pooled connections are
opened without it and would return strings, so no fix."""

import datetime
import sqlite3


def add_day(db_path, day):
    conn = sqlite3.connect(db_path, detect_types=sqlite3.PARSE_DECLTYPES)
    conn.execute("CREATE TABLE IF NOT EXISTS days (d DATE)")
    conn.execute("INSERT INTO days VALUES (?)", (day.isoformat(),))
    conn.commit()
    conn.close()


def latest(db_path):
    conn = sqlite3.connect(db_path, detect_types=sqlite3.PARSE_DECLTYPES)
    row = conn.execute("SELECT d FROM days ORDER BY d DESC LIMIT 1").fetchone()
    conn.close()
    return row[0] if row else None


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
    import datetime

    path = _db()
    m.add_day(path, datetime.date(2024, 5, 1))
    m.add_day(path, datetime.date(2024, 6, 1))
    return [m.latest(path)]


def threaded(m):
    import datetime

    m.path = _db()
    return [lambda: m.add_day(m.path, datetime.date(2024, 1, 1)), lambda: m.add_day(m.path, datetime.date(2024, 2, 1))]


def invariant(m):
    import datetime

    return m.latest(m.path) == datetime.date(2024, 2, 1)
