"""Multi-module (CRL404): `install.run()` makes one `Tracker` (defined in another module) and hands it to
every worker thread (`args=`); the workers count and the caller drains after the joins. The fix puts the
updates and the drain's reset under one new lock in `progress`, which no caller holds: safe to take."""

# --- module: progress ---
class Tracker:
    def __init__(self):
        self.done = 0
        self.per_kind = {}

    def record(self, kind):
        self.done += 1
        self.per_kind[kind] = self.per_kind.get(kind, 0) + 1

    def drain(self):
        counts = self.per_kind
        self.per_kind = {}
        return counts
# --- module: install ---
import threading

from .progress import Tracker


def _work(tracker, name):
    tracker.record("py" if name.startswith("py") else "apt")


def run(names):
    tracker = Tracker()
    workers = [threading.Thread(target=_work, args=(tracker, name)) for name in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tracker.done, tracker.drain()
# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.install.run(["pyyaml", "curl", "pytest"])]


def threaded(m):
    m.TRACKER = m.progress.Tracker()
    m.TRACKER.record("apt")
    m.DRAINED = []
    return [lambda: m.TRACKER.record("apt"), lambda: m.DRAINED.append(m.TRACKER.drain())]


def invariant(m):
    counted = sum(n for counts in m.DRAINED for n in counts.values()) + sum(m.TRACKER.per_kind.values())
    return m.TRACKER.done == 2 and counted == 2
