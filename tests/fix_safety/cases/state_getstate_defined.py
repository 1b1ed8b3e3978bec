"""An object with `__getstate__` returning its `__dict__` and pickled: a new `self._lock` would be in the state and make `pickle.dumps` raise."""

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

    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    profile = m.Profile("ada")
    profile.visit()
    for thread in profile.start():
        thread.join()
    restored = None
    return [(restored := m.pickle.loads(m.pickle.dumps(profile))).visits, restored.name]


def threaded(m):
    m.shared = m.Profile("ada")
    return [m.shared.visit, m.shared.visit]


def invariant(m):
    return m.shared.visits == 2
