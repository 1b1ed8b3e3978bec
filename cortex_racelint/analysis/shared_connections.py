"""Which sqlite3 connection is shared across threads, and what in a function reaches it.

CRL202 reports the unlocked uses and its fix puts them under a lock; both need the same
answers: which attributes or globals hold a `check_same_thread=False` connection, which
expressions derive from it, and a walk that stays out of nested scopes.
"""

from __future__ import annotations

import libcst as cst

from . import traverse
from .context import LintContext, function_globals
from .self_attributes import self_attr
from .sqlite_usage import is_sqlite_connect
from .traverse import children


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
    shared: set[str] = set()

    def on_visit(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, context):
            for target in node.targets:
                attr = self_attr(target.target)
                if attr:
                    shared.add(attr)
        return True

    traverse.walk(class_node.body, on_visit)
    return shared


def shared_connection_globals(context: LintContext) -> set[str]:
    """The module globals assigned a `check_same_thread=False` connection (at module level or via `global`).

    One read-only walk keeping the enclosing functions on a stack: linear in the module (the
    generator walk rebuilt each node's ancestor tuple and asked LibCST for its children, which
    copies them, so a 10k-line module took seconds).
    """
    shared: set[str] = set()
    functions: list[cst.FunctionDef] = []

    def on_visit(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            functions.append(node)
        elif isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, context):
            declared = function_globals(functions[-1]) if functions else None
            for target in node.targets:
                if isinstance(target.target, cst.Name) and (declared is None or target.target.value in declared):
                    shared.add(target.target.value)
        return True

    def on_leave(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            functions.pop()

    traverse.walk(context.module, on_visit, on_leave)
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
    for child in children(node):
        yield from own_walk(child, (*parents, node))
