"""Two writers of one object with an existing (unused) plain Lock: `add()` appends and calls
`_bump()`, which counts; both run on worker threads. Each statement gets its own critical section
on the reused lock, none holding it across the call, so `add()` never takes it twice."""

import threading


class Log:
    def __init__(self):
        self._lock = threading.Lock()
        self.lines = []
        self.count = 0

    def start(self, values):
        threads = [threading.Thread(target=self.add, args=(v,)) for v in values]
        for thread in threads:
            thread.start()
        return threads

    def add(self, value):
        self.lines.append(value)
        self.lines = self.lines[-5:]
        self._bump()

    def _bump(self):
        self.count += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    log = m.Log()
    log.add("x")
    for thread in log.start(["a", "b"]):
        thread.join()
    return [sorted(log.lines), log.count]


def threaded(m):
    m.shared = m.Log()
    return [lambda: m.shared.add("a"), lambda: m.shared.add("b")]


def invariant(m):
    return m.shared.count == 2 and sorted(m.shared.lines) == ["a", "b"]
