"""CRL105: a module or class dict filled on a miss, `if k not in _cache: _cache[k] = make(k)`, with no lock."""

from __future__ import annotations

import re

from ...rule import Invalid, Valid
from .lazy_rule import CALLER_HELD, FREE_THREADING_LAZY, LOCK_CHOICE, LazyInitRule


class LazyKeyedCache(LazyInitRule):
    CODE = "CRL105"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_keyed

    NAME = "unguarded-keyed-cache"
    KIND = "keyed"
    EVIDENCE = (re.compile(rb"\bin\b"), ".get(", "setdefault", "KeyError", "LookupError")  # the word `in`: `'a'in d` needs no spaces
    MESSAGE = "Keyed lazy cache `{state}` is filled without a lock: two threads can create the same entry"
    WHAT = """
        Finds `if key not in _cache: _cache[key] = make(key)` (and `_cache.get(key) is None`)
        on a module-level or class-level dict, with no lock around the check and the insert.
        Also the EAFP spelling, `try: return _cache[key]` / `except KeyError: _cache[key] = ...`
        (or `value = _cache[key]` in the `try`): the failed read is the check.
    """ + CALLER_HELD
    WHY = """
        Single dict operations are atomic, but check-then-insert is two operations: two
        threads can both miss and both build the value, and callers end up holding different
        objects for the same key.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. Double-checked locking on a lock named after the cache (`_caches_lock`). For the
        EAFP spelling the `except KeyError:` body moves under the lock, behind the same read
        again (`with lock: try: return _cache[key] except KeyError: <body>`): a thread that lost
        the race takes the stored value and goes on as a successful read does. Only offered when
        the `try` holds nothing but that read, its key reads again to the same value (names,
        attributes, constants) and the `try` has no `else:` (which runs only when the read works).
    """ + LOCK_CHOICE
    VALID = [
        Valid(
            """
            _seen = {}

            def first_seen(key, now):
                try:
                    stamp = _seen[key]
                except KeyError:
                    _seen[key] = now
                else:  # the `else:` makes it more than a cache read: not read as one
                    stamp = min(stamp, now)
                return stamp
            """
        ),
        Valid(
            """
            import threading
            _caches = {}
            _caches_lock = threading.Lock()

            def get_cache(key):
                with _caches_lock:
                    if key not in _caches:
                        _caches[key] = Cache(key)
                    return _caches[key]
            """
        )
    ]
    INVALID = [
        Invalid(
            """
            _caches: dict = {}

            def get_cache(key):
                if key not in _caches:
                    _caches[key] = Cache(key)
                return _caches[key]
            """,
            line=4,
            expected_fix="""
            import threading

            _caches: dict = {}
            _caches_lock = threading.Lock()

            def get_cache(key):
                if key not in _caches:
                    with _caches_lock:
                        if key not in _caches:
                            _caches[key] = Cache(key)
                return _caches[key]
            """,
        ),
        Invalid(
            """
            _clients = {}

            def get_client(host):
                try:
                    return _clients[host]
                except KeyError:
                    client = _clients[host] = Client(host)
                    return client
            """,
            line=4,
            expected_fix="""
            import threading

            _clients = {}
            _clients_lock = threading.Lock()

            def get_client(host):
                try:
                    return _clients[host]
                except KeyError:
                    with _clients_lock:
                        try:
                            return _clients[host]
                        except KeyError:
                            client = _clients[host] = Client(host)
                            return client
            """,
        ),
    ]
