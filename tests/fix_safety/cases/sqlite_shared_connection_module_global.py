"""A module-level `check_same_thread=False` connection used by functions (CRL202): a module lock
named for the global guards each use, and the data read back is unchanged."""

import sqlite3

_conn = sqlite3.connect(":memory:", check_same_thread=False)
_conn.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, n INTEGER)")


def see(key):
    row = _conn.execute("SELECT n FROM seen WHERE key = ?", (key,)).fetchone()
    if row is None:
        _conn.execute("INSERT INTO seen VALUES (?, 1)", (key,))
    else:
        _conn.execute("UPDATE seen SET n = ? WHERE key = ?", (row[0] + 1, key))
    _conn.commit()


def count(key):
    row = _conn.execute("SELECT n FROM seen WHERE key = ?", (key,)).fetchone()
    return row[0] if row else 0


# --- drivers ---
FINDINGS = ("CRL202",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    m.see("a")
    m.see("a")
    m.see("b")
    return [m.count("a"), m.count("b"), m.count("c")]


def threaded(m):
    return [lambda: m.see("a"), lambda: m.see("a")]


def invariant(m):
    return m.count("a") == 2
