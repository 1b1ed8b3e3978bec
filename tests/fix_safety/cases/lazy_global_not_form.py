"""The `if not _registry:` spelling of a lazy global (CRL101)."""

_registry = None
_built = []


def registry():
    global _registry
    if not _registry:
        _built.append(1)
        _registry = {"plugins": ["a", "b"]}
    return _registry


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.registry(), m.registry(), len(m._built)]


def threaded(m):
    return [m.registry, m.registry]


def invariant(m):
    return len(m._built) == 1
