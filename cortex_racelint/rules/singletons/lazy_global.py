"""CRL101: a module global created on first use with no lock, `if _x is None: _x = X()`."""

from __future__ import annotations

from ...rule import Invalid, Valid
from .lazy_rule import CALLER_HELD, FREE_THREADING_LAZY, IMPORT_TIME, LOCK_CHOICE, LazyInitRule


class LazyGlobalSingleton(LazyInitRule):
    CODE = "CRL101"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_global

    NAME = "unguarded-lazy-global"
    KIND = "global"
    EVIDENCE = ("global", "nonlocal", "hasattr", "getattr")
    ALSO_KINDS = ("closure", "funcattr")
    KIND_MESSAGES = {
        "closure": "Lazy initialisation of closure variable `{state}` (`nonlocal`) is not guarded by a lock: two threads calling the closure can both create it",
        "funcattr": "Lazy initialisation of function attribute `{state}` is not guarded by a lock: two threads can both create it",
    }
    MESSAGE = "Lazy initialisation of module global `{state}` is not guarded by a lock: two threads can both create it"
    WHAT = """
        Finds module-level lazy singletons, `global _x` followed by `if _x is None: _x = X()`
        (also `if not _x`, `== None`, the walrus `if (x := _x) is None:`, `match _x:` with a
        first `case None:`, the one-line `_x = _x or X()` and `_x = _x if _x is not None else
        X()`, and the early-return form `if _x is not None: return _x`), where the check and the assignment are not under a
        lock. The same window on state that is global in all but name is reported too: a closure
        variable (`nonlocal inst` / `if inst is None: inst = X()`, shared by every call of the
        closure) and an attribute of a module-level function (`if not hasattr(get, "_inst"):
        get._inst = X()`, or `getattr(get, "_inst", None) is None`).
    """ + CALLER_HELD + IMPORT_TIME
    WHY = """
        Two threads can both see `None` and both construct the object: each caller gets a
        different "singleton", state written to the loser is lost, and resources such as
        database connections or threads are created twice.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. The fix adds a module lock named after the state (`_history_lock` for
        `_history_instance`) next to the global, and rewrites the check into double-checked
        locking: the fast path stays lock-free, the slow path re-checks under the lock.
        `import threading` is added once (or an existing alias reused). A walrus test is repeated
        as written, so under the lock it re-binds its local to the current value. A closure
        variable's lock is created in the enclosing function right after the statement binding
        the variable (`client_lock = threading.RLock()`): one lock per closure, as the state is;
        it is reentrant because the lock analysis does not follow calls through closures (a
        creation that calls the getter again recursed before the fix and must not deadlock after
        it). A function attribute's lock is a module lock named after both
        (`_get_scheduler_instance_lock`). No fix when the enclosing function binds the closure
        variable only inside a nested block. A `match` gets the whole `match` again under the
        lock inside its `case None:`: a thread that lost the race takes the case that fits the
        value the winner stored. The one-line `_x = _x or X()` becomes the `if` form
        (`if not _x:`, or the conditional expression's own test): when `_x` exists the line only
        re-assigned it to itself, which the `if` form skips (the reason it is read only on a
        name, not on `cls._x`, where that store would copy an inherited value onto a subclass).
    """ + LOCK_CHOICE
    VALID = [
        Valid(
            """
            import threading
            _history = None
            _history_lock = threading.Lock()

            def get_history():
                global _history
                if _history is None:
                    with _history_lock:
                        if _history is None:
                            _history = object()
                return _history
            """
        ),
        Valid(
            """
            import threading
            _pool = None
            _pool_lock = threading.Lock()

            def _ensure_pool_locked():  # every call in the module holds `_pool_lock`
                global _pool
                if _pool is None:
                    _pool = Pool()

            def get_pool():
                with _pool_lock:
                    _ensure_pool_locked()
                    return _pool
            """
        ),
        Valid(
            """
            _registry = {}  # eager module initialisation is safe

            def get_registry():
                return _registry
            """
        ),
        Valid(
            """
            def build():
                result = None  # a local, not shared
                if result is None:
                    result = object()
                return result
            """
        ),
        Valid(
            """
            _engine = None

            def get_engine(fallback):
                global _engine
                match _engine:
                    case None if fallback:  # a guard: more than `_engine is None`
                        _engine = Engine()
                return _engine
            """
        ),
        Valid(
            """
            def build(node):
                if not hasattr(node, "cache"):  # an attribute of a parameter, not of a module function
                    node.cache = Cache()
                return node.cache
            """
        ),
        Valid(
            """
            _config = None

            if __name__ == "__main__":
                if _config is None:
                    _config = object()
            """
        ),
        Valid(
            """
            import threading
            _lock = threading.Lock()
            _x = None

            def get():
                global _x
                _lock.acquire()
                try:
                    if _x is None:
                        _x = object()
                finally:
                    _lock.release()
                return _x
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            _history_instance = None


            def get_history():
                global _history_instance
                if _history_instance is None:  # first use
                    _history_instance = TransactionHistory()
                return _history_instance
            """,
            line=6,
            expected_fix="""
            import threading

            _history_instance = None
            _history_lock = threading.Lock()


            def get_history():
                global _history_instance
                if _history_instance is None:  # first use
                    with _history_lock:
                        if _history_instance is None:
                            _history_instance = TransactionHistory()
                return _history_instance
            """,
        ),
        Invalid(
            """
            import threading as th

            _detector = None

            def get_detector():
                global _detector
                if _detector is not None:
                    return _detector
                # slow: probes the hardware
                _detector = Detector()
                return _detector
            """,
            line=7,
            expected_fix="""
            import threading as th

            _detector = None
            _detector_lock = th.Lock()

            def get_detector():
                global _detector
                if _detector is not None:
                    return _detector
                # slow: probes the hardware
                with _detector_lock:
                    if _detector is None:
                        _detector = Detector()
                return _detector
            """,
        ),
        Invalid(
            """
            _undo = None

            def get_undo():
                global _undo
                if not _undo:
                    _undo = Undo()
                return _undo
            """,
            line=5,
        ),
        Invalid(
            """
            _session = None

            def get_session():
                global _session
                if (session := _session) is None:
                    session = _session = Session()
                return session
            """,
            line=5,
            expected_fix="""
            import threading

            _session = None
            _session_lock = threading.Lock()

            def get_session():
                global _session
                if (session := _session) is None:
                    with _session_lock:
                        if (session := _session) is None:
                            session = _session = Session()
                return session
            """,
        ),
        Invalid(
            """
            def make_getter(factory):
                client = None

                def get():
                    nonlocal client
                    if client is None:
                        client = factory()
                    return client

                return get
            """,
            line=6,
            expected_fix="""
            import threading


            def make_getter(factory):
                client = None
                client_lock = threading.RLock()

                def get():
                    nonlocal client
                    if client is None:
                        with client_lock:
                            if client is None:
                                client = factory()
                    return client

                return get
            """,
        ),
        Invalid(
            """
            def get_scheduler():
                if not hasattr(get_scheduler, "instance"):
                    get_scheduler.instance = Scheduler()
                return get_scheduler.instance
            """,
            line=2,
            expected_fix="""
            import threading

            _get_scheduler_instance_lock = threading.Lock()

            def get_scheduler():
                if not hasattr(get_scheduler, "instance"):
                    with _get_scheduler_instance_lock:
                        if not hasattr(get_scheduler, "instance"):
                            get_scheduler.instance = Scheduler()
                return get_scheduler.instance
            """,
        ),
        Invalid(
            """
            _engine = None

            def get_engine():
                global _engine
                match _engine:
                    case None:
                        _engine = Engine()
                return _engine
            """,
            line=5,
            expected_fix="""
            import threading

            _engine = None
            _engine_lock = threading.Lock()

            def get_engine():
                global _engine
                match _engine:
                    case None:
                        with _engine_lock:
                            match _engine:
                                case None:
                                    _engine = Engine()
                return _engine
            """,
        ),
        Invalid(
            """
            _executor = None

            def executor():
                global _executor
                _executor = _executor or ThreadPoolExecutor(4)
                return _executor
            """,
            line=5,
            expected_fix="""
            import threading

            _executor = None
            _executor_lock = threading.Lock()

            def executor():
                global _executor
                if not _executor:
                    with _executor_lock:
                        if not _executor:
                            _executor = ThreadPoolExecutor(4)
                return _executor
            """,
        ),
    ]
