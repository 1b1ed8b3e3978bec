"""CRL105: a module or class dict filled on a miss, `if k not in _cache: _cache[k] = make(k)`, with no lock."""

from __future__ import annotations

import re

from ...rule import Invalid, Valid
from .lazy_rule import FREE_THREADING_LAZY, LOCK_CHOICE, LazyInitRule


class LazyKeyedCache(LazyInitRule):
    CODE = "CRL105"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_keyed

    NAME = "unguarded-keyed-cache"
    KIND = "keyed"
    EVIDENCE = (re.compile(rb"\bin\b"), ".get(", "setdefault")  # the word `in`: `'a'in d` needs no spaces
    MESSAGE = "Keyed lazy cache `{state}` is filled without a lock: two threads can create the same entry"
    WHAT = """
        Finds `if key not in _cache: _cache[key] = make(key)` (and `_cache.get(key) is None`)
        on a module-level or class-level dict, with no lock around the check and the insert.
    """
    WHY = """
        Single dict operations are atomic, but check-then-insert is two operations: two
        threads can both miss and both build the value, and callers end up holding different
        objects for the same key.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. Double-checked locking on a lock named after the cache (`_caches_lock`).
    """ + LOCK_CHOICE
    VALID = [
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
    ]
