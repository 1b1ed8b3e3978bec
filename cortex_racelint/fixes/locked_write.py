"""The lock form of a file-write fix: the statements a lock must cover wrapped in `with <lock>:`.

A `with <same lock>:` already inside the wrapped span is merged into the new one (a second
acquire of a plain `Lock` would deadlock). CRL302's reader side is the same wrap around a read.
Which lock is taken, and whether taking it could deadlock, is decided in `fixes/locks.py`.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_write_sites import path_locked_files, scope_id
from ..analysis.file_writes import FileAnalysis, FileOp, Region
from ..ftypes import FixApplicability
from ..rule import AddImport, Fix
from .blocks import block_statements, replace_in, wrap_statements
from .helper_imports import missing_fileio
from .locks.file_writes import deadlock_reason, same_lock_key, write_lock
from .locks.reentrancy import suspends


class _DropInnerLock(cst.CSTTransformer):
    """Inside the new `with <lock>:`, a nested `with <same lock>:` is redundant, and a
    deadlock for a plain Lock: keep its body (or its other items)."""

    def __init__(self, analysis: FileAnalysis, op: FileOp, key: str) -> None:
        super().__init__()
        self.analysis, self.op, self.key = analysis, op, key
        self.kept = 0  # nested acquisitions that could not be dropped

    def _same(self, expr: cst.BaseExpression) -> bool:
        locks = self.analysis.locks
        found = self.analysis.locked_call_key(expr, self.op.function)
        if found is None and locks.is_lock(expr):
            found = locks.lock_key(expr)
        return found is not None and same_lock_key(found, self.key)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested def runs later, without the lock

    def leave_With(self, original_node: cst.With, updated_node: cst.With):  # type: ignore[override]
        kept = [item for item in updated_node.items if not self._same(item.item)]
        if len(kept) == len(updated_node.items):
            return updated_node
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(items=kept)
        statements, trailing = block_statements(updated_node.body)
        header = trailing.comment
        if not statements:
            self.kept += 1
            return updated_node
        moved_comment = []
        if header is not None:  # `with lock:  # why` -> `# why` above the first statement
            moved_comment = [cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(""), comment=header)]
        statements[0] = statements[0].with_changes(
            leading_lines=[*updated_node.leading_lines, *moved_comment, *statements[0].leading_lines]
        )
        return cst.FlattenSentinel(statements)


def wrap_region(
    region: Region,
    lock: cst.BaseExpression,
    inner: dict[cst.CSTNode, object],
    unlock: Optional[_DropInnerLock] = None,
) -> dict[cst.CSTNode, object]:
    statements = region.statements
    moved = [replace_in(stmt, inner) for stmt in statements]
    moved = [stmt for stmt in moved if not isinstance(stmt, cst.RemovalSentinel)]  # a publish made by the helper
    if unlock is not None:
        moved = [m for stmt in moved for m in _flatten(stmt.visit(unlock))]
        if unlock.kept:
            return {}
    replacements: dict[cst.CSTNode, object] = {statements[0]: wrap_statements(lock, moved)}
    for stmt in statements[1:]:
        replacements[stmt] = cst.RemoveFromParent()
    return replacements


def _flatten(result) -> list:
    if isinstance(result, cst.FlattenSentinel):
        return list(result.nodes)
    if isinstance(result, cst.RemovalSentinel):
        return []
    return [result]


def no_lock_reason(op: FileOp, region: Optional[Region]) -> Optional[str]:
    """Why no lock can wrap the write, if none can."""
    if region is None:
        if not op.levels():
            return "the write is not a statement of its own (inside a lambda or comprehension)"
        return "the file object is used beyond the statements one lock could wrap"
    return None


def region_lock(
    analysis: FileAnalysis, op: FileOp, region: Region, applicability: FixApplicability
) -> tuple[Optional[tuple[cst.BaseExpression, list, str]], Optional[str]]:
    """((lock, edits, key), None) for the lock a write region's fix takes, or (None, why there is none).

    CRL301 and CRL303 decide alike: a checked-then-written path needs the per-path `locked(path)`
    (only it excludes other processes), and a lock a caller may already hold would deadlock.
    `applicability` is the fix's, for the message when the project lacks the helper.
    """
    assert op.path is not None
    if (scope_id(op), op.path.key) in path_locked_files(analysis):
        missing = missing_fileio(analysis.context, "locked", "the per-path lock `locked(path)`", applicability)
        if missing is not None:
            return None, missing
    lock, edits, key, exists = write_lock(analysis, op, region)
    reason = deadlock_reason(analysis, op, region, key, exists)
    if reason is not None:
        return None, reason
    return (lock, edits, key), None


def locked_write_fix(
    analysis: FileAnalysis,
    op: FileOp,
    region: Region,
    lock: cst.BaseExpression,
    edits: list,
    key: str,
    inner: dict[cst.CSTNode, object],
    helpers: list[str],
    note: str = "",
) -> tuple[Optional[Fix], Optional[str]]:
    """The region under `lock`, with the `inner` writes rewritten to the atomic `helpers`;
    `note` is appended to the fix's message."""
    edits = [*edits, *(AddImport(analysis.atomic_module, helper) for helper in dict.fromkeys(helpers))]
    lock_text = analysis.context.module.code_for_node(lock)
    message = f"Hold `{lock_text}` around the write" + (" and write atomically" if inner else "")
    if region.read_first:
        message = f"Hold `{lock_text}` from the read through the write" + (" and write atomically" if inner else "")
    message += note
    applicability = FixApplicability.UNSAFE if inner else FixApplicability.SAFE
    suspension = _suspends_in(region)
    if suspension is not None:
        return None, f"the write's block `{suspension}`s: `{lock_text}` would stay held across it"
    unlock = _DropInnerLock(analysis, op, key)
    replacements = wrap_region(region, lock, inner, unlock)
    if not replacements:
        return None, f"`{lock_text}` is already taken inside; a second acquire would deadlock"
    return Fix(message, replacements, edits, applicability), None


def locked_read_fix(
    analysis: FileAnalysis, op: FileOp, region: Region, lock: cst.BaseExpression, edits: list, key: str
) -> tuple[Optional[Fix], Optional[str]]:
    """CRL302: the read's region under the writers' `lock`."""
    lock_text = analysis.context.module.code_for_node(lock)
    suspension = _suspends_in(region)
    if suspension is not None:
        return None, f"the read's block `{suspension}`s: `{lock_text}` would stay held while the consumer runs"
    unlock = _DropInnerLock(analysis, op, key)
    replacements = wrap_region(region, lock, {}, unlock)
    if replacements:
        return Fix(f"Hold `{lock_text}` while reading", replacements, edits), None
    return None, f"`{lock_text}` is already taken inside; a second acquire would deadlock"


def _suspends_in(region: Region) -> Optional[str]:
    """`await`/`yield` among the statements the lock would cover (it must not be held across either)."""
    return suspends(region.block.body[region.start : region.end + 1])
