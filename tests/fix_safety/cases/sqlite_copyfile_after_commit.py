"""The database file is copied with `shutil.copyfile` after a commit: in the pool's WAL mode the
committed rows stay in `-wal` until a checkpoint, so the backup would miss them."""

import shutil
import sqlite3


class Ledger:
    def __init__(self, db_path):
        self.db_path = db_path
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE TABLE IF NOT EXISTS entries (amount INTEGER)")
        conn.commit()
        conn.close()

    def record(self, amount):
        conn = sqlite3.connect(self.db_path)
        conn.execute("INSERT INTO entries VALUES (?)", (amount,))
        conn.commit()
        conn.close()

    def backup(self, target):
        shutil.copyfile(self.db_path, target)


# --- drivers ---
FINDINGS = ("CRL201",)
FIXED_IN = ()


def single_threaded(m):
    import sqlite3
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    ledger = m.Ledger(str(folder / "ledger.db"))
    ledger.record(5)
    ledger.record(7)
    ledger.backup(str(folder / "copy.db"))
    copy = sqlite3.connect(str(folder / "copy.db"))
    rows = copy.execute("SELECT SUM(amount) FROM entries").fetchone()
    copy.close()
    return [rows]


def threaded(m):
    import tempfile
    from pathlib import Path

    m.shared = m.Ledger(str(Path(tempfile.mkdtemp()) / "ledger.db"))
    return [lambda: m.shared.record(1), lambda: m.shared.record(2)]


def invariant(m):
    import sqlite3

    conn = sqlite3.connect(m.shared.db_path)
    total = conn.execute("SELECT SUM(amount) FROM entries").fetchone()[0]
    conn.close()
    return total == 3
