"""Which sqlite3 connection is shared across threads, and what in a function reaches it.

CRL202 reports the unlocked uses and its fix puts them under a lock; both need the same
answers: which attributes or globals hold a `check_same_thread=False` connection, which
expressions derive from it, and a walk that stays out of nested scopes.
"""

from __future__ import annotations

import libcst as cst

from .context import LintContext, function_globals
from .self_attributes import self_attr
from .sqlite_usage import is_sqlite_connect, walk


def _shares_thread_unsafely(call: cst.CSTNode, context: LintContext) -> bool:
    if not (isinstance(call, cst.Call) and is_sqlite_connect(call, context.imports)):
        return False
    return any(
        a.keyword is not None
        and a.keyword.value == "check_same_thread"
        and isinstance(a.value, cst.Name)
        and a.value.value == "False"
        for a in call.args
    )


def shared_connection_attributes(context: LintContext, class_node: cst.ClassDef) -> set[str]:
    """The `self.<attr>` names a class assigns a `check_same_thread=False` connection to."""
    shared = set()
    for node, _ in walk(class_node.body):
        if isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, context):
            for target in node.targets:
                attr = self_attr(target.target)
                if attr:
                    shared.add(attr)
    return shared


def shared_connection_globals(context: LintContext) -> set[str]:
    """The module globals assigned a `check_same_thread=False` connection (at module level or via `global`)."""
    shared = set()
    for node, parents in walk(context.module):
        if isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, context):
            function = next((p for p in reversed(parents) if isinstance(p, cst.FunctionDef)), None)
            declared = function_globals(function) if function is not None else None
            for target in node.targets:
                if isinstance(target.target, cst.Name) and (
                    declared is None or target.target.value in declared
                ):
                    shared.add(target.target.value)
    return shared


def rooted(expr: cst.CSTNode, is_root, aliases: set[str]) -> bool:
    """The shared connection itself, a local alias, or a cursor derived from either."""
    if is_root(expr):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in aliases
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
        "cursor",
        "execute",
        "executemany",
        "executescript",
    ):
        return rooted(expr.func.value, is_root, aliases)
    return False


def own_walk(node: cst.CSTNode, parents: tuple = ()):
    """`sqlite_usage.walk` that yields nested functions, lambdas and classes but does not enter them
    (the root itself is always entered)."""
    yield node, parents
    if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and parents:
        return
    for child in node.children:
        yield from own_walk(child, (*parents, node))
