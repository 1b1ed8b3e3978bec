"""`self.db_path` defaults to `":memory:"` in `__init__`: a pooled connection would share one
in-memory database between calls that each expect a fresh one."""

import sqlite3


class Scratch:
    def __init__(self, db_path=":memory:"):
        self.db_path = db_path

    def distinct(self, values):
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE TABLE v (x)")
        conn.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
        out = [row[0] for row in conn.execute("SELECT DISTINCT x FROM v ORDER BY x")]
        conn.close()
        return out


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def single_threaded(m):
    scratch = m.Scratch()
    return [scratch.distinct([3, 1, 3]), scratch.distinct([2])]


def threaded(m):
    m.shared = m.Scratch()
    m.results = []
    return [lambda: m.results.append(m.shared.distinct([1])), lambda: m.results.append(m.shared.distinct([2, 2]))]


def invariant(m):
    return sorted(m.results) == [[1], [2]]
