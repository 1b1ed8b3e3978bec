"""An lru_cache'd singleton factory (CRL106): reported, never fixed."""

import functools

_made = []


@functools.lru_cache(maxsize=None)
def get_service():
    _made.append(1)
    return object()


# --- drivers ---
FINDINGS = ("CRL106",)
FIXED_IN = ()


def single_threaded(m):
    return [m.get_service() is m.get_service(), len(m._made)]


def threaded(m):
    return [m.get_service, m.get_service]
