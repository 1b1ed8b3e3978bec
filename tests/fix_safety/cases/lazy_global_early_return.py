"""The early-return spelling: `if _engine is not None: return _engine` then create (CRL101)."""

_engine = None
_created = []


class Engine:
    def __init__(self):
        _created.append(self)


def get_engine():
    global _engine
    if _engine is not None:
        return _engine
    _engine = Engine()
    return _engine


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_engine() is m.get_engine(), len(m._created)]


def threaded(m):
    return [m.get_engine, m.get_engine]


def invariant(m):
    return len(m._created) == 1
