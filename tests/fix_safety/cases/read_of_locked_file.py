"""Writers lock, a reader does not (CRL302): the read goes under the writers' lock."""

import threading

_log_lock = threading.Lock()
LOG = None


def record(line):
    with _log_lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def lines():
    with open(LOG) as f:
        return f.read().splitlines()


# --- drivers ---
FINDINGS = ("CRL302",)
FIXED_IN = ("safe", "unsafe")


def _point_to_tmp(m):
    import tempfile
    from pathlib import Path

    m.LOG = Path(tempfile.mkdtemp()) / "log.txt"
    m.LOG.write_text("")


def single_threaded(m):
    _point_to_tmp(m)
    m.record("a")
    m.record("b")
    return [m.lines()]


def threaded(m):
    _point_to_tmp(m)
    return [lambda: m.record("a"), m.lines]


def invariant(m):
    return m.lines() == ["a"]
