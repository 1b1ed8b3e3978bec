"""When the object's lock may be held across a whole iteration or serialisation (CRL405).

The walk (`json.dump(self.data, f)`, `copy.deepcopy(self.data)`) runs under the lock the
object's other fixes take, so a change of the container waits until the walk ends. That
lock is a plain `Lock`: the span must not reach code that takes it again (a method of the
object, called or handed on as `default=self._encode`, a property), wait for another
thread (`join()`, `q.get()`, `sleep`: that thread may need the lock to finish), or suspend
(`await`, `yield`: another task on the thread could take it). A file `with` around the walk
is held whole: CRL301's lock covers the same span (and its fix merges an inner `with` on
the same lock), so the two fixes meet in one critical section instead of nesting one lock.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.scope_walk import own_nodes
from .reentrancy import suspends
from .shared_fields import waits


def iteration_span(path: Sequence[cst.CSTNode], stmt: cst.CSTNode) -> cst.CSTNode:
    """The statement to hold the lock across: the outermost `with open(...)` of the function
    around `stmt` (the file being written is part of the walk's output), else `stmt`."""
    span = stmt
    for node in path:
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            span = stmt  # only `with` blocks of the innermost function
        elif isinstance(node, cst.With) and any(_opens(item.item) for item in node.items) and span is stmt:
            span = node
    return span


def _opens(expr: cst.BaseExpression) -> bool:
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    return (isinstance(func, cst.Name) and func.value == "open") or (
        isinstance(func, cst.Attribute) and func.attr.value in ("open", "NamedTemporaryFile")
    )


def iteration_lock_reason(
    context: LintContext, span: cst.CSTNode, self_name: str, methods: frozenset[str], attr: str
) -> Optional[str]:
    """Why the lock may not be held across `span`, or None when it may."""
    suspended = suspends([span])
    if suspended is not None:
        return f"the walk over `self.{attr}` is next to an `{suspended}`: a lock held there would block the event loop's other tasks"
    for node in own_nodes(span):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not span:
            return f"the statement walking `self.{attr}` defines code that may run under the lock: restructure it by hand"
        if isinstance(node, cst.Call) and waits(node, context.imports):
            return f"the statement walking `self.{attr}` waits for another thread, which may need the lock"
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == self_name
            and node.attr.value in methods
        ):
            return (
                f"the walk over `self.{attr}` reaches `self.{node.attr.value}`, which may take the object's lock "
                "again: hold a lock around the walk by hand"
            )
    return None
