"""Correct double-checked locking: nothing to report, nothing to fix."""

import threading

_client = None
_client_lock = threading.Lock()


def get_client():
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = object()
    return _client


# --- drivers ---
UNTOUCHED = "already double-checked under a module lock"


def single_threaded(m):
    return [m.get_client() is m.get_client()]


def threaded(m):
    return [m.get_client, m.get_client]
