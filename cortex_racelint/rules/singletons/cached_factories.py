"""What CRL106 and CRL107 share about cached zero-argument factories: which functions are one,
and what their race costs (`analysis/lazy_harm.factory_consequence` decides; this only finds)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.lazy_harm import OPT_IN_KINDS, factory_consequence
from ...ftypes import Consequence

CACHE_DECORATORS = ("functools.lru_cache", "functools.cache")
NO_FIX_REASON = "a cache decorator cannot be turned into a lock mechanically"


def cached_factory(context: LintContext, node: cst.FunctionDef) -> Optional[tuple[cst.Decorator, str]]:
    """The `@cache`/`@lru_cache` decorator of a module-level function that takes no argument at all
    (any parameter, keyword-only or `**kwargs` too, makes it a keyed cache, not a singleton), with
    the decorator's short name."""
    params = node.params
    if len(context.ancestors) != 2:
        return None
    if params.params or params.posonly_params or params.kwonly_params or isinstance(params.star_arg, cst.Param):
        return None
    if params.star_kwarg is not None:
        return None
    for decorator in node.decorators:
        expr = decorator.decorator
        func = expr.func if isinstance(expr, cst.Call) else expr
        qualified = context.imports.qualify(func)
        if qualified in CACHE_DECORATORS:
            return decorator, qualified.rpartition(".")[2]
    return None


def factory_harm(context: LintContext, node: cst.FunctionDef) -> tuple[Consequence, bool]:
    """What the factory's race costs, and whether that is harmless (the opt-in CRL107's share)."""
    consequence = factory_consequence(context, node)
    return consequence, consequence.kind in OPT_IN_KINDS
