"""`self._lock` is a lock *file* path: the fix must not enter it as a lock."""

import threading
from pathlib import Path


class Installer:
    def __init__(self, root="/tmp"):
        self._lock = Path(root) / "install.lock"
        self.steps = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.step) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def step(self):
        self.steps += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    installer = m.Installer()
    installer.step()
    return [installer.steps, str(installer._lock)]


def threaded(m):
    m.shared = m.Installer()
    return [m.shared.step, m.shared.step]


def invariant(m):
    return m.shared.steps == 2
