"""`PRAGMA foreign_keys = ON` in one function: it stays set on a pooled connection, so another
function of the module that connects without it would start enforcing foreign keys (its insert of
an orphan row would fail). The function setting it keeps its own connection."""

import sqlite3


def setup(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "CREATE TABLE IF NOT EXISTS owner (id INTEGER PRIMARY KEY);"
        "CREATE TABLE IF NOT EXISTS pet (name TEXT, owner_id INTEGER REFERENCES owner(id));"
    )
    conn.close()


def strict_add(db_path, name, owner_id):
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        conn.execute("INSERT INTO pet VALUES (?, ?)", (name, owner_id))
        conn.commit()
        return "added"
    except sqlite3.IntegrityError as error:
        conn.rollback()
        return str(error)
    finally:
        conn.close()


def import_row(db_path, name, owner_id):
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO pet VALUES (?, ?)", (name, owner_id))
    conn.commit()
    conn.close()


def pets(db_path):
    conn = sqlite3.connect(db_path)
    rows = sorted(conn.execute("SELECT name, owner_id FROM pet"))
    conn.close()
    return rows


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _path(m):
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "pets.db")
    m.setup(path)
    return path


def single_threaded(m):
    path = _path(m)
    strict = m.strict_add(path, "rex", 7)
    m.import_row(path, "tom", 9)
    return [strict, m.pets(path)]


def threaded(m):
    m.path = _path(m)
    return [lambda: m.strict_add(m.path, "rex", 7), lambda: m.import_row(m.path, "tom", 9)]


def invariant(m):
    return m.pets(m.path) == [("tom", 9)]
