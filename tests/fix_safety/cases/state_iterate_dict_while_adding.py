"""`report()` prints `self.totals.items()` while the worker thread adds keys: the dict changes size
during the loop and the iterator raises RuntimeError. Fixed: the adds go under the object's lock
and the loop walks a copy taken under it (its body, which writes to a stream, runs unlocked)."""

import threading


class Totals:
    def __init__(self, out):
        self.out = out
        self.totals = {}
        self._stop = threading.Event()

    def start(self, names):
        thread = threading.Thread(target=self._count, args=(names,))
        thread.start()
        return thread

    def _count(self, names):
        for name in names:
            self.totals[name] = len(name)

    def report(self):
        for name, size in self.totals.items():
            print(f"{name}={size}", file=self.out)


class Stream:
    def __init__(self):
        self.parts = []
        self.lines = 0

    def write(self, text):
        self.parts.append(text)
        self.lines += text.count("\n")


# --- drivers ---
FINDINGS = ("CRL405",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    totals = m.Totals(m.Stream())
    totals.start(["a", "bb"]).join()
    totals.report()
    return "".join(totals.out.parts)


def threaded(m):
    m.shared = m.Totals(m.Stream())
    m.shared.totals["seed"] = 4
    m.shared.totals["more"] = 4
    # the counter reads how many lines were printed: a Python-level access the scheduler can place
    # between two steps of the loop (the stream's `write` is the traced code inside it)
    return [lambda: m.shared._count(["a" * (1 + m.shared.out.lines)]), m.shared.report]


def invariant(m):
    return "seed=4" in m.shared.out.parts
