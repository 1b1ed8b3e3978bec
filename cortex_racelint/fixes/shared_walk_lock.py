"""The fix of CRL405 on a process-wide shared object: the walk and the one size change racing it under
the object's lock (`locks.shared_fields.object_mutex`, the lock CRL404's fix takes).

The change goes under the lock as CRL404's update does (`shared_object_lock.locked_update_fix`: a cheap
statement, no holder reaching it with a plain Lock); the walk's statement (or the file `with` around it)
is held across as the class-level CRL405 fix does (`locks.iteration`: nothing in it may come back for
the lock, wait for a thread or suspend). Offered only when exactly one size change races the walk and
the walk is not a `for` loop (its body would run under the lock too: do that by hand).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.scope_walk import own_nodes
from ..analysis.shared_objects import RMW, SharedSite
from ..ftypes import FixApplicability
from ..rule import Fix
from .blocks import wrap_statements
from .locks.iteration import iteration_lock_reason, iteration_span
from .locks.shared_fields import held_lock_conflict
from .shared_object_lock import locked_update_fix


def shared_walk_fix(
    context: LintContext,
    class_node: cst.ClassDef,
    walk: tuple[cst.FunctionDef, Sequence[cst.CSTNode]],
    change: Optional[tuple[cst.FunctionDef, Sequence[cst.CSTNode]]],
    attr: str,
    changers: int,
) -> Union[Fix, str]:
    """One fix holding the object's lock around both sides, or why there is none."""
    if change is None or changers != 1:
        return f"several statements change the size of `self.{attr}` on the threads: lock each of them and the walk by hand"
    method, path = walk
    if _in_for_iter(path):
        return f"`self.{attr}` is walked by a `for` loop whose body would run under the lock: walk a copy taken under it by hand"
    stmt = next((n for n in reversed(path) if isinstance(n, cst.SimpleStatementLine)), None)
    if stmt is None:
        return f"`self.{attr}` is walked outside a plain statement: hold the lock by hand"
    span = iteration_span(path, stmt)
    holder = path[list(path).index(span) - 1] if span in path else None
    if not isinstance(holder, cst.IndentedBlock):
        return f"`self.{attr}` is walked in a one-line construct that cannot be wrapped"
    receiver = method.params.params[0].name.value if method.params.params else "self"
    methods = frozenset(m.name.value for m in class_node.body.body if isinstance(m, cst.FunctionDef))  # type: ignore[union-attr]
    reason = iteration_lock_reason(context, span, receiver, methods, attr)
    if reason is not None:
        return reason
    c_method, c_path = change
    line = next((n for n in reversed(c_path) if isinstance(n, cst.SimpleStatementLine)), None)
    block = c_path[list(c_path).index(line) - 1] if line is not None else None
    if line is None or not isinstance(block, cst.IndentedBlock) or any(n is line for n in _within(span, line)):
        return f"the size change of `self.{attr}` cannot be wrapped on its own"
    site = SharedSite(RMW, attr, c_path[-1], line, block, c_method, "", ())
    planned = locked_update_fix(context, class_node, site)
    if isinstance(planned, str):
        return planned.replace("the update of", "the size change of")
    (changed, wrapped_change), = planned.replacements.items()
    lock = wrapped_change.items[0].item  # type: ignore[union-attr]
    if not planned.edits:  # the object's own lock: no holder may reach the walking method with it
        conflict = held_lock_conflict(context, class_node, lock.attr.value, method)  # type: ignore[attr-defined]
        if conflict is not None:
            return conflict
    walk_lock = lock.with_changes(value=cst.Name(receiver))  # type: ignore[attr-defined]
    message = f"Hold `{receiver}.{walk_lock.attr.value}` across the walk over `self.{attr}` and around its size change"
    replacements = {changed: wrapped_change, span: wrap_statements(walk_lock, [span])}
    return Fix(message, replacements, list(planned.edits), FixApplicability.UNSAFE)


def _in_for_iter(path: Sequence[cst.CSTNode]) -> bool:
    return any(isinstance(node, cst.For) and any(node.iter is p for p in path) for node in path)


def _within(span: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode]:
    return [n for n in own_nodes(span) if n is target]
