"""`snapshot()` holds the plain lock and reads a property whose getter counts the reads on the
object (`self.reads += 1`), which the worker thread also does: the getter runs under the lock already
and gets no fix (taking it there again would deadlock); the worker's own count does get the lock."""

import threading


class Meter:
    def __init__(self):
        self._lock = threading.Lock()
        self.reads = 0
        self.value = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self._touch) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    @property
    def current(self):
        self.reads += 1
        return self.value

    def _touch(self):
        self.reads += 1

    def snapshot(self):
        with self._lock:
            return [self.current]


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    meter = m.Meter()
    first = meter.snapshot()
    for thread in meter.start():
        thread.join()
    return [first, meter.reads]


def threaded(m):
    m.shared = m.Meter()
    return [m.shared.snapshot, m.shared._touch]


def invariant(m):
    return m.shared.reads == 2
