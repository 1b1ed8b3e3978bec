"""The derived lock name already names a function (`_cache_lock()`): the fix must pick another name."""

_cache = None


def _cache_lock():
    return "not a lock"


def get_cache():
    global _cache
    if _cache is None:
        _cache = {"k": _cache_lock()}
    return _cache


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_cache(), m._cache_lock()]


def threaded(m):
    return [m.get_cache, m.get_cache]


def invariant(m):
    return m._cache == {"k": "not a lock"}
