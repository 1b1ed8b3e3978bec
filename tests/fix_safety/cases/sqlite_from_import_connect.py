"""The `from sqlite3 import connect` spelling of a per-call connection (CRL201)."""

from sqlite3 import connect


class Counter:
    def __init__(self, path):
        self.path = path
        with connect(self.path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS c (n INTEGER)")
            conn.execute("INSERT INTO c VALUES (0)")

    def bump(self):
        with connect(self.path) as conn:
            conn.execute("UPDATE c SET n = n + 1")

    def value(self):
        with connect(self.path) as conn:
            return conn.execute("SELECT n FROM c").fetchone()[0]


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def _counter(m):
    import tempfile
    from pathlib import Path

    return m.Counter(str(Path(tempfile.mkdtemp()) / "c.db"))


def single_threaded(m):
    counter = _counter(m)
    counter.bump()
    counter.bump()
    return [counter.value()]


def threaded(m):
    m.shared = _counter(m)
    return [m.shared.bump, m.shared.bump]


def invariant(m):
    return m.shared.value() == 2
