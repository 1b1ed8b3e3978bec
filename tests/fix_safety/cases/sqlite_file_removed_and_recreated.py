"""The database file is removed and recreated (`reset`): pooled connections would keep the unlinked
inode open, so writes after the reset would go to the deleted file."""

import os
import sqlite3


class Cache:
    def __init__(self, db_path):
        self.db_path = db_path
        self._create()

    def _create(self):
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE TABLE IF NOT EXISTS c (k TEXT PRIMARY KEY, v TEXT)")
        conn.commit()
        conn.close()

    def put(self, key, value):
        conn = sqlite3.connect(self.db_path)
        conn.execute("INSERT OR REPLACE INTO c VALUES (?, ?)", (key, value))
        conn.commit()
        conn.close()

    def keys(self):
        conn = sqlite3.connect(self.db_path)
        keys = [row[0] for row in conn.execute("SELECT k FROM c ORDER BY k")]
        conn.close()
        return keys

    def reset(self):
        if os.path.exists(self.db_path):
            os.remove(self.db_path)
        self._create()


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def _cache(m):
    import tempfile
    from pathlib import Path

    return m.Cache(str(Path(tempfile.mkdtemp()) / "cache.db"))


def single_threaded(m):
    import sqlite3

    cache = _cache(m)
    cache.put("old", "1")
    cache.reset()
    cache.put("new", "2")
    fresh = sqlite3.connect(cache.db_path)
    on_disk = [row[0] for row in fresh.execute("SELECT k FROM c")]
    fresh.close()
    return [cache.keys(), on_disk]


def threaded(m):
    m.shared = _cache(m)
    return [lambda: m.shared.put("a", "1"), lambda: m.shared.put("b", "2")]


def invariant(m):
    return m.shared.keys() == ["a", "b"]
