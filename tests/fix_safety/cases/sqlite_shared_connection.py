"""One `check_same_thread=False` connection used by every thread (CRL202): its uses under one lock."""

import sqlite3


class Log:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS log (line TEXT)")
        self._conn.commit()

    def write(self, line):
        self._conn.execute("INSERT INTO log VALUES (?)", (line,))
        self._conn.commit()

    def lines(self):
        return [row[0] for row in self._conn.execute("SELECT line FROM log ORDER BY rowid")]


# --- drivers ---
FINDINGS = ("CRL202",)
FIXED_IN = ("unsafe",)


def _log(m):
    import tempfile
    from pathlib import Path

    return m.Log(str(Path(tempfile.mkdtemp()) / "log.db"))


def single_threaded(m):
    log = _log(m)
    log.write("a")
    log.write("b")
    return [log.lines()]


def threaded(m):
    m.shared = _log(m)
    return [lambda: m.shared.write("a"), lambda: m.shared.write("b")]


def invariant(m):
    return sorted(m.shared.lines()) == ["a", "b"]
