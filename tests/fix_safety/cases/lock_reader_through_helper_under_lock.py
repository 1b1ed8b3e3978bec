"""CRL401: `report()` holds the plain lock and formats through `_fmt()`, which reads `self.status`
through `_peek()` (two call levels); the worker writes `self.status`. Reusing the lock in `_peek()`
would make `report()` take it twice: no fix there."""

import threading


class Task:
    def __init__(self):
        self._lock = threading.Lock()
        self.status = "new"
        self.reports = []

    def start(self):
        thread = threading.Thread(target=self._run)
        thread.start()
        return thread

    def _run(self):
        self.status = "done"

    def _peek(self):
        return self.status

    def _fmt(self):
        return "status=" + self._peek()

    def report(self):
        with self._lock:
            line = self._fmt()
            self.reports.append(line)
        return line


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)  # the worker's write gets the lock; the read reached under it does not


def single_threaded(m):
    task = m.Task()
    first = task.report()
    task.start().join()
    return [first, task.report()]


def threaded(m):
    m.shared = m.Task()
    return [m.shared._run, m.shared.report]


def invariant(m):
    return m.shared.reports in (["status=new"], ["status=done"])
