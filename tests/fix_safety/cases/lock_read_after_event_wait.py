"""A worker loop waits on an Event and then reads `self.setting`, which the caller writes before
`set()`: a copy of `self.setting` taken at the top of the loop, before `wait()`, would be stale."""

import threading


class Worker:
    def __init__(self):
        self.running = True
        self.setting = "old"
        self._go = threading.Event()
        self.used = []

    def start(self):
        thread = threading.Thread(target=self._loop)
        thread.start()
        return thread

    def _loop(self):
        while self.running:
            if not self._go.wait():
                return
            self._go.clear()
            self.used.append(self.setting)
            return

    def configure(self, setting):
        self.setting = setting
        self._go.set()

    def stop(self):
        self.running = False


# --- drivers ---
FINDINGS = ("CRL403",)  # `setting` is ordered by the Event; `running` is a one-way flag
FIXED_IN = ("unsafe",)


def single_threaded(m):
    worker = m.Worker()
    worker.configure("new")
    worker._loop()
    return [worker.used]


def threaded(m):
    m.shared = m.Worker()
    return [m.shared._loop, lambda: m.shared.configure("new")]


def invariant(m):
    return m.shared.used in ([], ["new"])
