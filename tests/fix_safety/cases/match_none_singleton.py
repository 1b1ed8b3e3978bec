"""A lazy global created in the first arm of `match _x: case None:` (CRL101), with other arms for
the value once it exists: under the lock the whole `match` runs again, so the thread that lost
the race takes the arm that fits the winner's engine (here: counts a reuse)."""

_engine = None
built = []


class Engine:
    def __init__(self):
        self.reused = 0
        built.append(self)


def get_engine():
    global _engine
    match _engine:
        case None:
            _engine = Engine()
        case Engine():
            _engine.reused += 1
    return _engine


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.get_engine()
    m.get_engine()
    return [first is m.get_engine(), first.reused, len(m.built)]


def threaded(m):
    return [m.get_engine, m.get_engine]


def invariant(m):
    return len(m.built) == 1 and m.built[0].reused == 1
