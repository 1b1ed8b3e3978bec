"""The module itself deep-copies the object (`snapshot()`): a new `self._lock` would make it raise."""

import copy
import threading


class Profile:
    def __init__(self, name):
        self.name = name
        self.visits = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.visit) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def visit(self):
        self.visits += 1

    def snapshot(self):
        return copy.deepcopy(self)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    profile = m.Profile("ada")
    profile.visit()
    for thread in profile.start():
        thread.join()
    return [profile.snapshot().visits, profile.visits]


def threaded(m):
    m.shared = m.Profile("ada")
    return [m.shared.visit, m.shared.visit]


def invariant(m):
    return m.shared.visits == 2
