"""`self.items = self.items + [item]` on a thread (CRL402) while another thread does the same."""

import threading


class Collector:
    def __init__(self):
        self.items = []
        self._stop = threading.Event()

    def start(self, source):
        thread = threading.Thread(target=self._collect, args=(source,))
        thread.start()
        return thread

    def _collect(self, source):
        for item in source:
            self.items = self.items + [item]

    def clear(self):
        self.items = []


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    collector = m.Collector()
    collector.start([1, 2]).join()
    return [collector.items]


def threaded(m):
    m.shared = m.Collector()
    return [lambda: m.shared._collect([1]), lambda: m.shared._collect([2])]


def invariant(m):
    return sorted(m.shared.items) == [1, 2]
