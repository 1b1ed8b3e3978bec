"""An absence test with a second disjunct (CRL101): `if _conn is None or _conn.closed:` reopens a closed
connection; the fix re-tests the whole condition under the lock, so one thread reopens it."""

_conn = None
_opened = []


class _Conn:
    def __init__(self):
        _opened.append(self)
        self.closed = False


def connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = _Conn()
    return _conn


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.connection()
    same = m.connection() is first
    first.closed = True
    reopened = m.connection()
    return [same, reopened is not first, m.connection() is reopened, len(m._opened)]


def threaded(m):
    return [m.connection, m.connection]


def invariant(m):
    return len(m._opened) == 1
