"""`":memory:"` reaching `connect` through a default argument: every per-call connection is a new,
empty database, while a pool shares one, so the table would outlive the call."""

import sqlite3


def tally(words, db_path=":memory:"):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE w (word TEXT)")
    conn.executemany("INSERT INTO w VALUES (?)", [(w,) for w in words])
    rows = conn.execute("SELECT word, COUNT(*) FROM w GROUP BY word ORDER BY word").fetchall()
    conn.close()
    return rows


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def single_threaded(m):
    return [m.tally(["a", "b", "a"]), m.tally(["c"])]


def threaded(m):
    m.results = []
    return [lambda: m.results.append(m.tally(["x"])), lambda: m.results.append(m.tally(["y", "y"]))]


def invariant(m):
    return sorted(m.results) == [[("x", 1)], [("y", 2)]]
