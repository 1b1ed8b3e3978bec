"""`threading` imported only under `if TYPE_CHECKING:`: the name does not exist at run time."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

_pool = None


def get_pool():
    global _pool
    if _pool is None:
        _pool = []
    return _pool


def make_lock() -> "threading.Lock":
    raise NotImplementedError


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_pool().append(1)
    return [m.get_pool()]


def threaded(m):
    return [m.get_pool, m.get_pool]


def invariant(m):
    return m._pool == []
