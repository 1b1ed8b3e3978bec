"""A locked writer and a generator reader (CRL302): the read fix must not hold the lock across `yield`,
or a consumer that writes while iterating deadlocks."""

import threading

_events_lock = threading.Lock()
EVENTS = None


def append(event):
    with _events_lock:
        with open(EVENTS, "a") as f:
            f.write(event + "\n")


def replay():
    with open(EVENTS) as f:
        for line in f:
            yield line.strip()


# --- drivers ---
FINDINGS = ("CRL302",)
FIXED_IN = ()  # the read holds the file across `yield`: reported with the reason, not fixed


def _point_to_tmp(m):
    import tempfile
    from pathlib import Path

    m.EVENTS = Path(tempfile.mkdtemp()) / "events.txt"
    m.EVENTS.write_text("start\n")


def _replay_and_ack(m):
    seen = []
    for event in m.replay():
        seen.append(event)
        if event == "start":
            m.append("ack")
    return seen


def single_threaded(m):
    _point_to_tmp(m)
    return [_replay_and_ack(m), m.EVENTS.read_text()]


def threaded(m):
    _point_to_tmp(m)
    return [lambda: _replay_and_ack(m), lambda: m.append("other")]
