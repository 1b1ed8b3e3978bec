"""`wait_done()` holds the object's plain lock while it waits on a *different* Condition that the
worker notifies after counting: the worker must not take that lock (only a Condition's own `wait()`
releases it)."""

import threading


class Job:
    def __init__(self):
        self._lock = threading.Lock()
        self._done = threading.Condition()
        self.steps = 0
        self.finished = False

    def start(self):
        thread = threading.Thread(target=self._step)
        thread.start()
        return thread

    def _step(self):
        self.steps += 1
        with self._done:
            self.finished = True
            self._done.notify_all()

    def wait_done(self):
        with self._lock:
            with self._done:
                while not self.finished:
                    self._done.wait(timeout=5)
            return self.steps


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    job = m.Job()
    job.start().join()
    return [job.wait_done()]


def threaded(m):
    m.shared = m.Job()
    return [m.shared._step, m.shared._step]
