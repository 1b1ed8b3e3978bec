"""CRL301's fix: the form `file-write-fix` asks for (atomic helpers, a lock around the region, or
both), built by the fix modules, or the reason there is none.

Kept apart from the rule (`rules/file_writes/unlocked_shared_write.py`) so the rule module holds
what it reports and its documentation; the choice of fix reads only analysis facts and fix builders.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_write_sites import file_region, path_locked_files, scope_id, shared_temp_target
from ..analysis.file_writes import FileAnalysis, FileOp, Region
from ..ftypes import FixApplicability
from ..rule import Fix
from .atomic_write import atomic_call, atomic_fix, atomic_publish, atomic_rewrites, unused_temp_binding
from .helper_imports import missing_fileio
from .locked_write import locked_write_fix, no_lock_reason, region_lock
from .locks.file_writes import wrapper_lock_reason


def write_fix(analysis: FileAnalysis, op: FileOp) -> tuple[Optional[Fix], Optional[str]]:
    """The fix of the unlocked write `op` and None, or None and the reason no fix is offered."""
    context = analysis.context
    style = context.config.write_fix_style()
    want_atomic = style in ("atomic", "lock+atomic")
    region = file_region(analysis, op)
    assert op.path is not None
    path_locked = (scope_id(op), op.path.key) in path_locked_files(analysis)
    publishes = region is not None and region.publishes
    atomic = atomic_call(analysis, op) if want_atomic and not publishes else None
    if style == "atomic" and atomic is not None and not path_locked:
        new_call, helper = atomic
        missing = missing_fileio(context, helper, "the atomic form", FixApplicability.UNSAFE)
        if missing is not None:
            return None, missing
        return atomic_fix(analysis, op, new_call, helper), None
    reason = no_lock_reason(op, region) or wrapper_lock_reason(analysis, op)
    if reason is not None:
        return None, reason
    assert region is not None
    chosen, reason = region_lock(analysis, op, region, FixApplicability.SAFE)
    if chosen is None:
        return None, reason
    lock, edits, key = chosen
    inner: dict[cst.CSTNode, object] = {}
    helpers: list[str] = []
    temp_target = shared_temp_target(analysis, op, region)
    if want_atomic and not publishes:
        inner, helpers = atomic_rewrites(analysis, region)
    elif want_atomic and temp_target is not None:
        inner, helpers = atomic_publish(analysis, op, region, temp_target)
    if helpers:
        for helper in helpers:
            missing = missing_fileio(context, helper, "the atomic form", FixApplicability.UNSAFE)
            if missing is not None:
                return None, missing
    note = _lock_only_note(analysis, region)
    fix, reason = locked_write_fix(analysis, op, region, lock, edits, key, inner, helpers, note)
    if fix is not None and temp_target is not None and helpers:
        dead = unused_temp_binding(op, region)  # the helper made the temp path's local unused
        if dead is not None:
            fix.replacements[dead] = cst.RemoveFromParent()
    return fix, reason


def _lock_only_note(analysis: FileAnalysis, region: Region) -> str:
    """Said in the fix message when the unconfigured style is the lock alone for want of the helpers,
    but the region has writes the atomic form would have covered."""
    config = analysis.context.config
    if config.file_write_fix is not None or config.write_fix_style() != "lock" or not atomic_rewrites(analysis, region)[0]:
        return ""
    return f" (not atomic: this project has no `{config.atomic_write_module}`)"
