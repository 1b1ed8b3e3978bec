"""An explicit `BEGIN` ... `commit()`, with `rollback()` and re-raise on error: a failed transfer
leaves both balances as they were, in the pooled version too."""

import sqlite3


def setup(db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE IF NOT EXISTS acct (name TEXT PRIMARY KEY, balance INTEGER)")
    conn.execute("INSERT OR REPLACE INTO acct VALUES ('a', 10), ('b', 0)")
    conn.commit()
    conn.close()


def transfer(db_path, amount):
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("BEGIN")
        conn.execute("UPDATE acct SET balance = balance + ? WHERE name = 'b'", (amount,))
        conn.execute("UPDATE acct SET balance = balance - ? WHERE name = 'a'", (amount,))
        if conn.execute("SELECT balance FROM acct WHERE name = 'a'").fetchone()[0] < 0:
            raise ValueError("insufficient funds")
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def balances(db_path):
    conn = sqlite3.connect(db_path)
    rows = dict(conn.execute("SELECT name, balance FROM acct"))
    conn.close()
    return rows


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _path(m):
    import tempfile
    from pathlib import Path

    path = str(Path(tempfile.mkdtemp()) / "acct.db")
    m.setup(path)
    return path


def single_threaded(m):
    path = _path(m)
    m.transfer(path, 4)
    try:
        m.transfer(path, 100)
        failed = None
    except ValueError as error:
        failed = str(error)
    return [failed, m.balances(path)]


def _try(m, amount):
    try:
        m.transfer(m.path, amount)
    except ValueError:
        pass


def threaded(m):
    m.path = _path(m)
    return [lambda: _try(m, 6), lambda: _try(m, 6)]


def invariant(m):
    return m.balances(m.path) == {"a": 4, "b": 6}
