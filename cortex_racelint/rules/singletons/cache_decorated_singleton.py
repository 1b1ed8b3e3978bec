"""CRL106: `functools.cache`/`lru_cache` on a zero-argument factory used as a singleton."""

from __future__ import annotations

from ...ftypes import Consequence, Severity

import libcst as cst

from ...rule import Invalid, Rule, Valid


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
    FIX = None
    EVIDENCE = ("cache",)
    MESSAGE = "`@{decorator}` on a zero-argument factory is not a singleton guard: concurrent first calls can each run it"
    WHAT = "Finds zero-argument module functions decorated with `functools.cache` or `lru_cache` used as singletons."
    WHY = """
        `functools.lru_cache` does not hold a lock while the wrapped function runs: two threads
        calling it for the first time both execute the factory and receive different objects.
    """
    FREE_THREADING = "Shows under the GIL when the factory makes a call that releases it; far more often on 3.13t/3.14t."
    FIX_SAFETY = "No automatic fix: replace with an explicit double-checked lock or `thread_utils.lazy_singleton`."

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        if len(self.context.ancestors) != 2 or params.params or isinstance(params.star_arg, cst.Param):
            return
        for decorator in node.decorators:
            expr = decorator.decorator
            func = expr.func if isinstance(expr, cst.Call) else expr
            qualified = self.context.imports.qualify(func)
            if qualified in ("functools.lru_cache", "functools.cache"):
                self.report(
                    decorator,
                    self.MESSAGE.format(decorator=qualified.split(".")[-1]),
                    no_fix_reason="a cache decorator cannot be turned into a lock mechanically",
                )

    VALID = [
        Valid(
            """
            from functools import lru_cache

            @lru_cache(maxsize=128)
            def parse(text):
                return text.split()
            """
        )
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
        )
    ]
