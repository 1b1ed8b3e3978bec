"""CRL106: `functools.cache`/`lru_cache` on a zero-argument factory used as a singleton."""

from __future__ import annotations

from ...ftypes import Consequence, Severity

import libcst as cst

from ...rule import Invalid, Rule, Valid
from .cached_factories import NO_FIX_REASON, cached_factory, factory_harm


class CacheDecoratedSingleton(Rule):
    CODE = "CRL106"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.cache_decorators

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("cache_decorators")

    NAME = "lru-cache-singleton"
    CONSEQUENCE = Consequence("duplicate object", Severity.MEDIUM, "the cache does not lock around the call: two first callers both run it and get different objects")
    CONSEQUENCES = """
        Decided per factory by what its body does and what it returns (`analysis/lazy_harm.py`,
        the model CRL101/102/105 use for a lazy initialisation):
        - repeated side effect, high: the body adds a logging handler, registers an `atexit` hook
          or a callback, starts a thread, writes a file, runs a command, appends to a module list;
        - duplicate resource, high: it returns an executor, thread, lock, queue, socket, connection,
          session, file or process (or a class of the module whose constructor makes one);
        - lost update, medium: it returns a new container that the module then changes through
          the result (`factory()[k] = v`, `factory().append(x)`, `v = factory(); v.update(...)`);
          callers in other modules are not seen;
        - duplicate object, medium: it returns any other object, including one made by a call into
          another module that is not known to be pure and not promised immutable by the return
          annotation (`get_client()` returning `Client()`): two callers hold different objects.
        A factory whose second run only recomputes an equal value is not reported here but by
        the opt-in CRL107: it returns a constant, a string, a number, a tuple, an imported module
        (`__import__`, `import jedi; return jedi`), a `NamedTuple`/`Enum`/frozen dataclass of the
        module, a `ctypes.CDLL` handle (the loader returns the one library), a nested function,
        a container nobody changes, or anything its return annotation says is immutable
        (`-> bool`, `-> str | None`, `-> tuple[int, int]`, `-> ModuleType`); and what it runs
        twice is at most a log line, a warning or a query command (`subprocess.check_output`).
    """
    FIX = None
    EVIDENCE = ("cache",)
    MESSAGE = "`@{decorator}` on a zero-argument factory is not a singleton guard: concurrent first calls can each run it"
    WHAT = """
        Finds zero-argument module functions decorated with `functools.cache` or `lru_cache`
        (a singleton factory) whose second run does harm: it repeats a side effect, or returns
        an object with identity or one that callers change. A function taking any parameter
        (keyword-only and `**kwargs` included) is a keyed cache, not a singleton, and is not
        reported. The factories that only recompute an equal value are reported by the opt-in
        CRL107 instead (see Consequence).
    """
    WHY = """
        `functools.lru_cache` does not hold a lock while the wrapped function runs: two threads
        calling it for the first time both execute the factory and receive different objects,
        and whatever the body does happens twice.
    """
    FREE_THREADING = "Shows under the GIL when the factory makes a call that releases it; far more often on 3.13t/3.14t."
    FIX_SAFETY = "No automatic fix: replace with an explicit double-checked lock or `thread_utils.lazy_singleton`."

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        found = cached_factory(self.context, node)
        if found is None:
            return
        consequence, harmless = factory_harm(self.context, node)
        if harmless:
            return  # an equal value recomputed: the opt-in CRL107 reports it
        decorator, name = found
        self.report(decorator, self.MESSAGE.format(decorator=name), no_fix_reason=NO_FIX_REASON, consequence=consequence)

    VALID = [
        Valid(
            """
            from functools import lru_cache

            @lru_cache(maxsize=128)
            def parse(text):
                return text.split()
            """
        ),
        Valid(  # keyword-only parameters: a keyed cache, one entry per argument set
            """
            import functools

            @functools.cache
            def log_context(*, user=False):
                return Context(user)
            """
        ),
        Valid(  # an equal value on every run: the opt-in CRL107 reports it
            """
            import functools, sysconfig

            @functools.cache
            def is_framework() -> bool:
                return bool(sysconfig.get_config_var("PYTHONFRAMEWORK"))
            """
        ),
        Valid(  # a dict nobody changes: equal copies
            """
            import functools, platform

            @functools.cache
            def environment():
                return {"machine": platform.machine(), "system": platform.system()}

            def default_environment():
                return environment().copy()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import functools

            @functools.lru_cache(maxsize=1)
            def get_client():
                return Client()
            """,
            line=3,
        ),
        Invalid(  # duplicate resource: one pool is left running
            """
            from concurrent.futures import ThreadPoolExecutor
            from functools import cache

            @cache
            def pool():
                return ThreadPoolExecutor(max_workers=4)
            """,
            line=4,
        ),
        Invalid(  # repeated side effect: every line is logged twice
            """
            import functools, logging

            @functools.cache
            def setup_logging() -> None:
                logging.getLogger("app").addHandler(logging.StreamHandler())
            """,
            line=3,
        ),
        Invalid(  # lost update: callers fill the cached registry
            """
            import functools

            @functools.cache
            def registry():
                return {}

            def register(name, handler):
                registry()[name] = handler
            """,
            line=3,
        ),
    ]
