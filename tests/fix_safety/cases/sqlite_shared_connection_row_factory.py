"""A shared connection (CRL202) whose `row_factory` one method switches for its own read: under
the fix's lock another thread can no longer see the switched factory mid-read."""

import sqlite3


class Users:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS u (name TEXT, age INTEGER)")
        self._conn.commit()

    def add(self, name, age):
        self._conn.execute("INSERT INTO u VALUES (?, ?)", (name, age))
        self._conn.commit()

    def as_dicts(self):
        self._conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in self._conn.execute("SELECT name, age FROM u ORDER BY name")]
        self._conn.row_factory = None
        return rows

    def names(self):
        return [r[0] for r in self._conn.execute("SELECT name FROM u ORDER BY name")]


# --- drivers ---
FINDINGS = ("CRL202",)
FIXED_IN = ("unsafe",)


def _users(m):
    import tempfile
    from pathlib import Path

    return m.Users(str(Path(tempfile.mkdtemp()) / "u.db"))


def single_threaded(m):
    users = _users(m)
    users.add("ada", 36)
    return [users.as_dicts(), users.names()]


def threaded(m):
    m.shared = _users(m)
    m.shared.add("ada", 36)
    m.seen = []
    return [lambda: m.seen.append(m.shared.as_dicts()), lambda: m.seen.append(m.shared.names())]


def invariant(m):
    return sorted(map(repr, m.seen)) == ["['ada']", "[{'name': 'ada', 'age': 36}]"]
