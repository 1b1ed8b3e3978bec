"""`notify()` guards on `self.loop` (`if self.loop is None: return`) and then uses it in the next
statement, while `close()` sets it to `None`. Locked one statement at a time, the guard and the use
read the field under two `with` blocks and the use can meet the `None` the guard excluded; the
guard and the use must read one copy (zeroconf's `assert self.loop is not None` followed by
`self.loop.call_soon_threadsafe(...)`)."""

import threading


class Loop:
    def __init__(self):
        self.calls = []

    def call_soon(self, callback):
        self.calls.append(callback)


class Notifier:
    def __init__(self):
        self.loop = Loop()

    def start(self):
        thread = threading.Thread(target=self.notify)
        thread.start()
        return thread

    def notify(self):
        if self.loop is None:
            return "closed"
        self.loop.call_soon("tick")
        return "sent"

    def close(self):
        self.loop = None


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    notifier = m.Notifier()
    loop = notifier.loop
    first = notifier.notify()
    notifier.close()
    return [first, notifier.notify(), loop.calls]


def threaded(m):
    m.shared = m.Notifier()
    m.loop = m.shared.loop
    return [m.shared.notify, m.shared.close]


def invariant(m):
    return m.shared.loop is None and m.loop.calls in ([], ["tick"])
