"""An object that already holds an Event (so it never was picklable or deep-copyable): the fix may give
it its own instance lock; the counter is exact afterwards."""

import threading


class Poller:
    def __init__(self):
        self._stop = threading.Event()
        self.polls = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.poll) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def poll(self):
        self.polls += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    poller = m.Poller()
    poller.poll()
    for thread in poller.start():
        thread.join()
    return [poller.polls]


def threaded(m):
    m.shared = m.Poller()
    return [m.shared.poll, m.shared.poll]


def invariant(m):
    return m.shared.polls == 2
