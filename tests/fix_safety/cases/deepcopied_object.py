"""An object that callers deep-copy (a new `self._lock` would make `copy.deepcopy` raise)."""

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


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import copy

    profile = m.Profile("ada")
    profile.visit()
    twin = copy.deepcopy(profile)
    twin.visit()
    return [profile.visits, twin.visits, twin.name]


def threaded(m):
    m.shared = m.Profile("ada")
    return [m.shared.visit, m.shared.visit]


def invariant(m):
    return m.shared.visits == 2
