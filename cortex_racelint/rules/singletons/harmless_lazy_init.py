"""CRL107 (opt-in): lazy initialisation whose race only recomputes an equal value."""

from __future__ import annotations

import re

import libcst as cst

from ...ftypes import Consequence, Severity
from ...rule import Invalid, Valid
from .cached_factories import NO_FIX_REASON, cached_factory, factory_harm
from .lazy_rule import CALLER_HELD, FREE_THREADING_LAZY, IMPORT_TIME, LOCK_CHOICE, LazyInitRule


class HarmlessLazyInit(LazyInitRule):
    CODE = "CRL107"
    NAME = "harmless-lazy-init"
    OPT_IN = True
    # the union of CRL101's, CRL102's and CRL105's evidence: it reports their harmless sites
    EVIDENCE = ("global", "cache", "nonlocal", "hasattr", "getattr", "class", re.compile(rb"\bin\b"), ".get(", "setdefault", "KeyError", "LookupError")

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_global or facts.lazy_class or facts.lazy_keyed or facts.cache_decorators

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """CRL101/102/105's statements, and the cached factories CRL106 leaves to this rule."""
        return facts.where("lazy_lock_scope") | facts.where("cache_decorators")

    REPORTS = "harmless"
    CONSEQUENCE = Consequence("equal value recomputed", Severity.LOW)
    MESSAGE = "Lazy initialisation of `{state}` is not guarded by a lock, but a race there does no harm"
    WHAT = """
        The sites CRL101, CRL102 and CRL105 would report, when the creation only recomputes an
        equal value: a constant, a string, a compiled regex, a version lookup, a container that
        nothing changes afterwards, a `ZoneInfo`; or when what runs twice is only a warning or a
        log line. Also when what is created is bound to one thread (`object bound to one thread`):
        a GUI toolkit object (Qt, Tk, wx, GTK: it belongs to the thread that makes it, so the
        code making it runs on that thread alone), or an event loop the module itself runs on
        the calling thread (`run_until_complete`, `run_forever`) and never hands work from another
        thread (`call_soon_threadsafe`, `run_coroutine_threadsafe`): two threads cannot sensibly
        reach such a check, and a lock would not make the object usable from several. And in a
        function that parses the command line (`parse_args()` with no argument reads `sys.argv`:
        `entry point run once`, a process's entry point, like locust's `run_single_user`). And the
        cached zero-argument factories of CRL106 (`@functools.cache`, `@lru_cache`) whose second
        run only recomputes an equal value: a `-> bool` probe, a version string, an imported
        module, a tuple of exception classes, a `NamedTuple`. Off unless `select` names `CRL107` itself (a prefix such as `CRL1` or `ALL` does
        not enable it).
    """ + CALLER_HELD + IMPORT_TIME
    WHY = """
        The check-then-act window is real, but both threads compute values that are equal and
        interchangeable, so whichever is kept, every caller sees the same behaviour. Most lazy
        initialisation in real libraries is of this kind; reporting it by default would bury the
        races that matter. What decides is what the creation makes and does
        (`analysis/lazy_harm.py`): an object with identity (executor, thread, socket, connection,
        lock, file, queue, a class of the module whose constructor makes one), a repeated side
        effect (a handler added, a callback registered, a thread started, a file written), or a
        mutable container or object that the module changes afterwards keeps the site in its own
        rule with that consequence. Calls into other modules that are not in the known tables
        count as creating an object with state (medium), never as harmless.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe, the same double-checked locking as CRL101/CRL102/CRL105. Select it when a
        single evaluation matters to you (an expensive computation done twice, a warning that
        must show once).
    """ + LOCK_CHOICE

    def covers(self, kind: str) -> bool:
        return kind in ("global", "class", "keyed", "metaclass", "closure", "funcattr")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """A cached zero-argument factory (CRL106's shape) whose second run computes an equal value."""
        found = cached_factory(self.context, node)
        if found is None:
            return
        consequence, harmless = factory_harm(self.context, node)
        if harmless:
            decorator, name = found
            self.report(decorator, self.FACTORY_MESSAGE.format(decorator=name), no_fix_reason=NO_FIX_REASON, consequence=consequence)

    FACTORY_MESSAGE = "`@{decorator}` on a zero-argument factory can run it twice, but a race there does no harm"

    VALID = [
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            _pool = None

            def get_pool():
                global _pool
                if _pool is None:  # an executor: CRL101 reports this one
                    _pool = ThreadPoolExecutor()
                return _pool
            """
        ),
        Valid(
            """
            _seen = None

            def remember(item):
                global _seen
                if _seen is None:
                    _seen = []
                _seen.append(item)  # changed afterwards: a lost update, CRL101
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import re
            _pattern = None

            def pattern():
                global _pattern
                if _pattern is None:
                    _pattern = re.compile(r"[a-z]+")
                return _pattern
            """,
            line=6,
        ),
        Invalid(
            """
            import importlib.metadata

            class Info:
                _version = None

                @classmethod
                def version(cls):
                    if cls._version is None:
                        cls._version = importlib.metadata.version("racelint")
                    return cls._version
            """,
            line=8,
        ),
        Invalid(
            """
            import warnings
            _warned = False

            def deprecated():
                global _warned
                if not _warned:
                    _warned = True
                    warnings.warn("deprecated", DeprecationWarning)
            """,
            line=6,
        ),
        Invalid(  # a cached factory returning an equal value: CRL106's harmless share, no fix
            """
            import functools, sysconfig

            @functools.cache
            def is_framework() -> bool:
                return bool(sysconfig.get_config_var("PYTHONFRAMEWORK"))
            """,
            line=3,
        ),
        Invalid(  # memoised recursion: the value is equal, and the lock must be reentrant
            """
            _memo = {}

            def fib(n):
                if n < 2:
                    return n
                if n not in _memo:
                    _memo[n] = fib(n - 1) + fib(n - 2)
                return _memo[n]
            """,
            line=6,
            expected_fix="""
            import threading

            _memo = {}
            _memo_lock = threading.RLock()

            def fib(n):
                if n < 2:
                    return n
                if n not in _memo:
                    with _memo_lock:
                        if n not in _memo:
                            _memo[n] = fib(n - 1) + fib(n - 2)
                return _memo[n]
            """,
        ),
    ]
