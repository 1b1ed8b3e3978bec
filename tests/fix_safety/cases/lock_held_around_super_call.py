"""A subclass's `put()` holds the base's plain lock around `super().record()`, which is also the
thread target: reusing the lock in `record()` deadlocks the subclass's `put()`."""

import threading


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self.records = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.record) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def record(self):
        self.records += 1


class KeyedRecorder(Recorder):
    def __init__(self):
        super().__init__()
        self.keys = []

    def put(self, key):
        with self._lock:
            self.keys.append(key)
            super().record()


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    recorder = m.KeyedRecorder()
    recorder.put("a")
    for thread in recorder.start():
        thread.join()
    return [recorder.records, recorder.keys]


def threaded(m):
    m.shared = m.KeyedRecorder()
    return [lambda: m.shared.put("a"), m.shared.record]
