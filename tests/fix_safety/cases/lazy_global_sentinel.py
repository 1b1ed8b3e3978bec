"""A sentinel instead of None, in the early-return form (CRL101): `if _x is not _MISSING: return _x`
then create; the fix re-tests `is _MISSING` under the lock, so one thread creates it."""

_MISSING = object()
_registry = _MISSING
_built = []


class _Registry:
    def __init__(self):
        _built.append(self)
        self.entries = {}


def registry():
    global _registry
    if _registry is not _MISSING:
        return _registry
    _registry = _Registry()
    return _registry


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.registry()
    return [m.registry() is first, len(m._built), type(first).__name__]


def threaded(m):
    return [m.registry, m.registry]


def invariant(m):
    return len(m._built) == 1
