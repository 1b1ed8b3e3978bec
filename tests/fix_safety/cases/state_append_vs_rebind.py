"""The thread appends to `self.items` while `drain()` swaps the list out: an append can land in the
old list after the swap and be lost. Both sides go under one lock."""

import threading


class Buffer:
    def __init__(self):
        self.items = []
        self._stop = threading.Event()

    def start(self, values):
        thread = threading.Thread(target=self._fill, args=(values,))
        thread.start()
        return thread

    def _fill(self, values):
        for value in values:
            self.items.append(value)

    def drain(self):
        items = self.items
        self.items = []
        return items


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    buffer = m.Buffer()
    buffer.start([1, 2]).join()
    return [buffer.drain(), buffer.drain()]


def threaded(m):
    m.shared = m.Buffer()
    m.drained = []
    return [lambda: m.shared._fill([1, 2]), lambda: m.drained.extend(m.shared.drain())]


def invariant(m):
    return sorted(m.drained + m.shared.items) == [1, 2]
