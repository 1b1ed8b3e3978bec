"""A lock created per call guards nothing (CRL104, unsafe: hoisted to one module lock)."""

import threading

_counts = {"n": 0}


def bump():
    lock = threading.Lock()
    with lock:
        _counts["n"] = _counts["n"] + 1
    return _counts["n"]


# --- drivers ---
FINDINGS = ("CRL104",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.bump(), m.bump(), m._counts]


def threaded(m):
    return [m.bump, m.bump]


def invariant(m):
    return m._counts["n"] == 2
