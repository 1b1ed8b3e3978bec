"""An object that is pickled (a new `self._lock` breaks pickle: cannot pickle '_thread.lock')."""

import threading


class Session:
    def __init__(self, user):
        self.user = user
        self.requests = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.hit) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def hit(self):
        self.requests += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    import pickle

    session = m.Session("ada")
    session.hit()
    restored = pickle.loads(pickle.dumps(session))
    restored.hit()
    return [session.requests, restored.requests, restored.user]


def threaded(m):
    m.shared = m.Session("ada")
    return [m.shared.hit, m.shared.hit]


def invariant(m):
    return m.shared.requests == 2
