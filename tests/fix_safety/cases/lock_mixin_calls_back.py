"""A mixin's `notify()` holds the class's plain lock and calls back `self.on_event()`, which the
class defines with a counter its threads also run."""

import threading


class NotifyMixin:
    def notify(self, event):
        with self._lock:
            self.pending.append(event)
            self.on_event()


class Bus(NotifyMixin):
    def __init__(self):
        self._lock = threading.Lock()
        self.pending = []
        self.events = 0

    def start(self, workers=2):
        threads = [threading.Thread(target=self.on_event) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def on_event(self):
        self.events += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    bus = m.Bus()
    bus.notify("a")
    for thread in bus.start():
        thread.join()
    return [bus.events, bus.pending]


def threaded(m):
    m.shared = m.Bus()
    return [lambda: m.shared.notify("a"), m.shared.on_event]
