"""An object with `__reduce__` (rebuilt from its name, visits carried through `__setstate__`): pickling keeps working whatever lock the fix adds, and the lock must not end up in the state."""

import pickle
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

    def __reduce__(self):
        return (Profile, (self.name,), {"visits": self.visits})

    def __setstate__(self, state):
        self.visits = state["visits"]


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    profile = m.Profile("ada")
    profile.visit()
    for thread in profile.start():
        thread.join()
    restored = None
    return [(restored := m.pickle.loads(m.pickle.dumps(profile))).visits, sorted(vars(restored))]


def threaded(m):
    m.shared = m.Profile("ada")
    return [m.shared.visit, m.shared.visit]


def invariant(m):
    return m.shared.visits == 2
