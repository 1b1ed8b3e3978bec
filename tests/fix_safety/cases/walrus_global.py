"""A lazy global tested through a walrus, `if (p := _x) is None:` (CRL101): the re-check under the
lock repeats the walrus, so the loser re-binds its local to the winner's object."""

_pool = None
built = []


class Pool:
    def __init__(self):
        built.append(self)


def get_pool():
    global _pool
    if (pool := _pool) is None:
        pool = _pool = Pool()
    return pool


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.get_pool()
    return [first is m.get_pool(), len(m.built)]


def threaded(m):
    return [m.get_pool, m.get_pool]


def invariant(m):
    return len(m.built) == 1 and m.get_pool() is m.built[0]
