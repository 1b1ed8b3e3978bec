"""An object shallow-copied with `copy.copy`: the copy and the original keep counting independently."""

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

    def fork(self):
        return copy.copy(self)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    profile = m.Profile("ada")
    profile.visit()
    for thread in profile.start():
        thread.join()
    return [(twin := profile.fork()).visit(), twin.visits, profile.visits, sorted(vars(twin))]


def threaded(m):
    m.shared = m.Profile("ada")
    return [m.shared.visit, m.shared.visit]


def invariant(m):
    return m.shared.visits == 2
