"""`self.db_path` is switched by a method (`use`): a pool built once in `__init__` would keep
writing to the first database, so the pool is looked up at each call from the current path."""

import sqlite3


class Profile:
    def __init__(self, db_path):
        self.db_path = db_path

    def use(self, db_path):
        self.db_path = db_path

    def save(self, key, value):
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE TABLE IF NOT EXISTS p (k TEXT PRIMARY KEY, v TEXT)")
        conn.execute("INSERT OR REPLACE INTO p VALUES (?, ?)", (key, value))
        conn.commit()
        conn.close()

    def load(self, key):
        conn = sqlite3.connect(self.db_path)
        row = conn.execute("SELECT v FROM p WHERE k = ?", (key,)).fetchone()
        conn.close()
        return row[0] if row else None


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import tempfile

    folder = tempfile.mkdtemp()
    profile = m.Profile(folder + "/a.db")
    profile.save("theme", "dark")
    profile.use(folder + "/b.db")
    profile.save("theme", "light")
    first = m.Profile(folder + "/a.db").load("theme")
    return [first, profile.load("theme")]


def threaded(m):
    import tempfile

    m.shared = m.Profile(tempfile.mkdtemp() + "/a.db")
    m.shared.save("seed", "0")
    return [lambda: m.shared.save("x", "1"), lambda: m.shared.save("y", "2")]


def invariant(m):
    return (m.shared.load("x"), m.shared.load("y")) == ("1", "2")
