"""`reset_all()` holds the class-level plain lock spelt through the class (`with Registry._lock:`)
around a call to the thread-side `touch()`: the lock is not reused there."""

import threading


class Registry:
    _lock = threading.Lock()

    def __init__(self):
        self.touched = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.touch) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def touch(self):
        self.touched += 1

    def reset_all(self):
        with Registry._lock:
            self.touch()
            self.touched = 0


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    registry = m.Registry()
    registry.reset_all()
    for thread in registry.start():
        thread.join()
    return [registry.touched]


def threaded(m):
    m.shared = m.Registry()
    return [m.shared.touch, m.shared.touch]
