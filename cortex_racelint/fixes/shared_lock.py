"""CRL104's fix: a lock created on every call becomes one shared module lock.

`fixes.locks` decides the lock; this swaps it into the `with` and drops the per-call
assignment, but only when the local name is used nowhere else.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.lazyinit import walk_statements
from ..ftypes import FixApplicability
from ..rule import Fix
from .locks.lazy_init import shared_lock_for_per_call


def shared_lock_fix(
    context: LintContext,
    function: cst.FunctionDef,
    node: cst.With,
    item: cst.WithItem,
    name: str,
    creation_stmt: Optional[cst.SimpleStatementLine],
) -> tuple[Optional[Fix], Optional[str]]:
    """The fix, or why there is none (None, None: the local lock is used elsewhere too)."""
    if creation_stmt is not None:
        uses = [n for n in walk_statements(list(function.body.body)) if isinstance(n, cst.Name) and n.value == name]
        if len(uses) != 2:  # the assignment target and the `with` item only
            return None, None
    choice = shared_lock_for_per_call(context, function, node)
    if choice.lock is None:
        return None, choice.no_fix_reason
    lock, edits = choice.lock, choice.edits
    assert isinstance(lock, cst.Name)
    lock_name = lock.value
    new_items = [i.with_changes(item=lock) if i is item else i for i in node.items]
    replacements = {node: node.with_changes(items=new_items)}
    if creation_stmt is not None:
        replacements[creation_stmt] = cst.RemoveFromParent()
    return Fix(f"Use one module-level lock `{lock_name}`", replacements, edits, FixApplicability.UNSAFE), None
