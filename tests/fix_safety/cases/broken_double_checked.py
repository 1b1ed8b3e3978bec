"""Double-checked locking without the re-check under the lock (CRL103)."""

import threading

_cache = None
_cache_lock = threading.Lock()
_builds = []


def get_cache():
    global _cache
    if _cache is None:
        with _cache_lock:
            _builds.append(1)
            _cache = {}
    return _cache


# --- drivers ---
FINDINGS = ("CRL103",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_cache() is m.get_cache(), len(m._builds)]


def threaded(m):
    return [m.get_cache, m.get_cache]


def invariant(m):
    return len(m._builds) == 1
