"""A `threading.Timer` callback bumps `self.fired` while `reset()` on the caller's side rewrites it."""

import threading


class Alarm:
    def __init__(self):
        self.fired = 0
        self._stop = threading.Event()

    def arm(self, delay=0.0):
        timer = threading.Timer(delay, self._fire)
        timer.start()
        return timer

    def _fire(self):
        self.fired += 1

    def reset(self):
        self.fired = 0


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    alarm = m.Alarm()
    alarm.arm().join()
    before = alarm.fired
    alarm.reset()
    return [before, alarm.fired]


def threaded(m):
    m.shared = m.Alarm()
    return [m.shared._fire, m.shared._fire]


def invariant(m):
    return m.shared.fired == 2
