"""A loop reads `self.prefix` before it blocks in `_go.wait()`: that read may be copied at the top of
the loop with the condition (its order is kept), and the loop still sees the write made before `set()`."""

import threading


class Tagger:
    def __init__(self):
        self.running = True
        self.prefix = ">"
        self._go = threading.Event()
        self.out = []

    def start(self):
        thread = threading.Thread(target=self._loop)
        thread.start()
        return thread

    def _loop(self):
        while self.running:
            prefix = self.prefix
            self._go.wait()
            self.out.append(prefix + "a")
            return

    def set_prefix(self, prefix):
        self.prefix = prefix

    def go(self):
        self._go.set()


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    tagger = m.Tagger()
    tagger.go()
    tagger._loop()
    return [tagger.out]


def threaded(m):
    m.shared = m.Tagger()
    return [m.shared._loop, lambda: (m.shared.set_prefix("#"), m.shared.go())]


def invariant(m):
    return m.shared.out in ([">a"], ["#a"])
