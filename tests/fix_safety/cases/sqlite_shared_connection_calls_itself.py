"""CRL202 where one method calls another that uses the same connection (`rename` -> `get`, `save`)."""

import sqlite3


class Profiles:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS p (name TEXT PRIMARY KEY, data TEXT)")
        self._conn.commit()

    def save(self, name, data):
        self._conn.execute("INSERT OR REPLACE INTO p VALUES (?, ?)", (name, data))
        self._conn.commit()

    def get(self, name):
        row = self._conn.execute("SELECT data FROM p WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def rename(self, old, new):
        data = self.get(old)
        self._conn.execute("DELETE FROM p WHERE name = ?", (old,))
        self.save(new, data)


# --- drivers ---
FINDINGS = ("CRL202",)
FIXED_IN = ("unsafe",)


def _profiles(m):
    import tempfile
    from pathlib import Path

    return m.Profiles(str(Path(tempfile.mkdtemp()) / "p.db"))


def single_threaded(m):
    profiles = _profiles(m)
    profiles.save("ada", "x")
    profiles.rename("ada", "grace")
    return [profiles.get("ada"), profiles.get("grace")]


def threaded(m):
    m.shared = _profiles(m)
    m.shared.save("ada", "x")
    return [lambda: m.shared.rename("ada", "grace"), lambda: m.shared.save("bob", "y")]


def invariant(m):
    return (m.shared.get("grace"), m.shared.get("bob")) == ("x", "y")
