"""The class already has `self._lock`, but it is an `asyncio.Lock`: a thread-side fix must not use it."""

import asyncio
import threading


class Jobs:
    def __init__(self):
        self._lock = asyncio.Lock()
        self.finished = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.finish) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def finish(self):
        self.finished += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    jobs = m.Jobs()
    jobs.finish()
    return [jobs.finished, type(jobs._lock).__name__]


def threaded(m):
    m.shared = m.Jobs()
    return [m.shared.finish, m.shared.finish]


def invariant(m):
    return m.shared.finished == 2
