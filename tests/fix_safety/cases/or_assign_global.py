"""The one-line lazy global `_x = _x or X()` (CRL101): the fix writes it as double-checked locking;
alone, an existing value is kept as the line kept it (re-assigned to itself)."""

_session = None
built = []


class Session:
    def __init__(self):
        built.append(self)
        self.cookies = {}


def get_session():
    global _session
    _session = _session or Session()
    return _session


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_session().cookies["id"] = 1
    return [m.get_session().cookies, len(m.built)]


def threaded(m):
    return [m.get_session, m.get_session]


def invariant(m):
    return len(m.built) == 1 and m.get_session() is m.built[0]
