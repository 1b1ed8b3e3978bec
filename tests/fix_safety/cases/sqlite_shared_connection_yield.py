"""CRL202 in a generator: holding the connection's lock across `yield` deadlocks a consumer that
writes through the same object while iterating."""

import sqlite3


class Queue:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS q (item TEXT)")
        self._conn.commit()

    def push(self, item):
        self._conn.execute("INSERT INTO q VALUES (?)", (item,))
        self._conn.commit()

    def items(self):
        for row in self._conn.execute("SELECT item FROM q ORDER BY rowid").fetchall():
            yield row[0]


# --- drivers ---
FINDINGS = ("CRL202",)
FIXED_IN = ("unsafe",)


def _queue(m):
    import tempfile
    from pathlib import Path

    return m.Queue(str(Path(tempfile.mkdtemp()) / "q.db"))


def _drain_and_ack(queue):
    seen = []
    for item in queue.items():
        seen.append(item)
        if item == "job":
            queue.push("ack")
    return seen


def single_threaded(m):
    queue = _queue(m)
    queue.push("job")
    return [_drain_and_ack(queue), list(queue.items())]


def threaded(m):
    m.shared = _queue(m)
    m.shared.push("job")
    return [lambda: _drain_and_ack(m.shared), lambda: m.shared.push("other")]
