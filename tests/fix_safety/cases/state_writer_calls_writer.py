"""Two writers of one object, one calling the other (`add()` counts and calls `_remember()`, which
appends): each statement gets its own critical section, none holds the lock across the call."""

import threading


class Journal:
    def __init__(self):
        self.added = 0
        self.entries = []
        self._stop = threading.Event()

    def start(self, values):
        threads = [threading.Thread(target=self.add, args=(v,)) for v in values]
        for thread in threads:
            thread.start()
        return threads

    def add(self, value):
        self.added += 1
        self._remember(value)

    def _remember(self, value):
        self.entries.append(value)
        self.entries = self.entries[-10:]


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    journal = m.Journal()
    journal.add(0)
    for thread in journal.start([1, 2]):
        thread.join()
    return [journal.added, sorted(journal.entries)]


def threaded(m):
    m.shared = m.Journal()
    return [lambda: m.shared.add(1), lambda: m.shared.add(2)]


def invariant(m):
    return m.shared.added == 2 and sorted(m.shared.entries) == [1, 2]
