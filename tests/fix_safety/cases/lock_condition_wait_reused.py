"""The object's `threading.Condition` is held around `wait()`, which releases it: the worker's
counter (CRL402) can reuse the Condition, and `notify_all()` still reaches the waiter."""

import threading


class Gate:
    def __init__(self):
        self._cond = threading.Condition()
        self.arrived = 0
        self.open = False

    def start(self, workers=2):
        threads = [threading.Thread(target=self._arrive) for _ in range(workers)]
        for thread in threads:
            thread.start()
        return threads

    def _arrive(self):
        self.arrived += 1

    def wait_open(self):
        with self._cond:
            while not self.open:
                self._cond.wait(timeout=1)
            return self.open

    def release(self):
        with self._cond:
            self.open = True
            self._cond.notify_all()


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    gate = m.Gate()
    for thread in gate.start():
        thread.join()
    gate.release()
    return [gate.arrived, gate.wait_open(), type(gate._cond).__name__]


def threaded(m):
    m.shared = m.Gate()
    return [m.shared._arrive, m.shared._arrive]


def invariant(m):
    return m.shared.arrived == 2
