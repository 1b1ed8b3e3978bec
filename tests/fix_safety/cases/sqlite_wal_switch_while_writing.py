"""The pool's first checkout happens while another connection of the object holds a write
transaction: `PRAGMA journal_mode=WAL` fails at once there ("database is locked", no busy
handler), which must not fail the read the original code did without trouble."""

import sqlite3


class Tally:
    def __init__(self, path):
        self.path = path
        self._writer = sqlite3.connect(path, check_same_thread=False)
        self._writer.execute("CREATE TABLE IF NOT EXISTS hits (n INTEGER)")
        self._writer.commit()

    def hit_and_count(self, n):
        self._writer.execute("INSERT INTO hits VALUES (?)", (n,))
        before = self.committed()
        self._writer.commit()
        return before

    def committed(self):
        conn = sqlite3.connect(self.path)
        count = conn.execute("SELECT COUNT(*) FROM hits").fetchone()[0]
        conn.close()
        return count


# --- drivers ---
FINDINGS = ("CRL201", "CRL202")
FIXED_IN = ("unsafe",)


def _tally(m):
    import tempfile
    from pathlib import Path

    return m.Tally(str(Path(tempfile.mkdtemp()) / "hits.db"))


def single_threaded(m):
    tally = _tally(m)
    return [tally.hit_and_count(1), tally.hit_and_count(2), tally.committed()]


def threaded(m):
    m.shared = _tally(m)
    return [lambda: m.shared.hit_and_count(1), lambda: m.shared.hit_and_count(2)]


def invariant(m):
    return m.shared.committed() == 2
