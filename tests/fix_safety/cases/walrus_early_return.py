"""The early-return form with a walrus, `if (p := _x) is not None: return p` (CRL101)."""

_registry = None
built = []


class Registry:
    def __init__(self):
        built.append(self)
        self.entries = {}


def get_registry():
    global _registry
    if (registry := _registry) is not None:
        return registry
    _registry = Registry()
    return _registry


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_registry().entries["seen"] = True
    return [m.get_registry().entries, len(m.built)]


def threaded(m):
    return [m.get_registry, m.get_registry]


def invariant(m):
    return len(m.built) == 1
