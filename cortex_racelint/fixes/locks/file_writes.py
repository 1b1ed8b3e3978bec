"""The lock around a shared file's writes and reads (CRL301, CRL302).

A shared file is guarded per instance, class or module like other state, except a file that is
checked then appended to: every access then takes the helper module's `locked(path)`. So does a
file created after a check (CRL303) in a project that has the helper: its first users may be
other instances or processes (two CLI runs creating a key file), which only the per-path lock
(thread lock + `flock`) keeps apart; without the helper it gets the lock CRL301 would take. Readers
take the lock their writers hold, spelt for the reader's method. A lock the write is already
reached under (directly, or through a helper that takes it) would deadlock a plain `Lock`:
`deadlock_reason` says so and the fix is withheld.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.file_creates import create_site
from ...analysis.file_write_sites import path_locked_files, scope_id, shared_temp_target, unlocked_write
from ...analysis.file_writes import FileAnalysis, FileOp, Region, walk_all
from ...analysis.lazyinit import walk_statements
from ...analysis.lock_wrappers import is_wrapper_key
from ...analysis.names import dotted_name
from ...rule import AddImport
from ..blocks import unparenthesised
from ..helper_imports import helper_usable
from .placement import class_lock, instance_lock_after_guard, lock_name_for, module_lock


def _binds(stmt: cst.CSTNode, name: str) -> bool:
    for node in walk_statements([stmt]):
        targets = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            return True
    return False


def _path_argument(analysis: FileAnalysis, op: FileOp, region: Region) -> cst.BaseExpression:
    """The path for `locked(...)`: as written, unless it is a local the region assigns."""
    expr = op.path_expr
    if isinstance(expr, cst.Name) and op.function is not None:
        if any(_binds(stmt, expr.value) for stmt in region.statements):
            value = analysis._local_value(expr.value, op.function)
            if value is not None:
                return unparenthesised(value[0])
    return unparenthesised(expr)


def _locked_expr(analysis: FileAnalysis, path: cst.BaseExpression) -> tuple[cst.Call, list]:
    module = analysis.atomic_module
    return cst.Call(func=cst.Name("locked"), args=[cst.Arg(path)]), [AddImport(module, "locked")]


def created_files(analysis: FileAnalysis) -> set[tuple[int, str]]:
    """Files created after an existence check (CRL303), when the project has `locked(path)`."""
    key = ("file_created_locked", 0)
    memo = analysis.context.memo
    if key not in memo:
        found: set[tuple[int, str]] = set()
        if helper_usable(analysis.context, analysis.atomic_module, "locked"):
            for op in analysis.ops:
                if unlocked_write(analysis, op) and create_site(analysis, op) is not None:
                    assert op.path is not None
                    found.add((scope_id(op), op.path.key))
        memo[key] = found
    return memo[key]  # type: ignore[return-value]


def write_lock(
    analysis: FileAnalysis, op: FileOp, region: Region
) -> tuple[cst.BaseExpression, list, str, bool]:
    """(lock expression, edits, lock key, already exists) for a write site."""
    context = analysis.context
    path = op.path
    assert path is not None and op.function is not None
    if (scope_id(op), path.key) in path_locked_files(analysis) | created_files(analysis):
        lock, edits = _locked_expr(analysis, _path_argument(analysis, op, region))
        return lock, edits, f"locked:{path.key}", True
    if path.kind != "global" and shared_temp_target(analysis, op, region) is not None:
        # the temp file is shared by every writer of the folder: one lock for them all
        name = lock_name_for(path.root).lower()
        existed = name in analysis.locks.inventory.module_locks
        lock, edits = module_lock(context, name, None)
        return lock, edits, lock.value, existed
    if path.kind == "instance" and path.scope is not None and path.receiver:
        lock, edits = instance_lock_after_guard(context, path.scope, receiver=path.receiver)
        key = dotted_name(lock) or ""
        return lock, edits, key, not edits
    if path.kind == "class" and path.scope is not None and path.receiver:
        attribute = path.root.split(".", 1)[1]
        name = lock_name_for(attribute)
        edits = class_lock(context, path.scope, name, attribute)
        return cst.Attribute(cst.Name(path.receiver), cst.Name(name)), edits, f"{path.receiver}.{name}", not edits
    name = lock_name_for(path.root.split(".")[0]).lower()
    existed = name in analysis.locks.inventory.module_locks
    lock, edits = module_lock(context, name, path.root.split(".")[0])
    return lock, edits, name, existed


def wrapper_lock_reason(analysis: FileAnalysis, op: FileOp) -> Optional[str]:
    """Why no lock can be added: another writer of the file holds a `synchronized` wrapper's
    lock (`analysis.lock_wrappers`), which no expression names; a new lock would not exclude it."""
    for writer, key in writer_locks(analysis, op):
        if writer is not op and is_wrapper_key(key):
            name = writer.function.name if writer.function is not None else "module code"
            return (
                f"`{name}()` writes this file under the lock of its `synchronized` wrapper, which no code can "
                "take by name: wrap this function the same way"
            )
    return None


def same_lock_key(a: str, b: str) -> bool:
    """Lock keys equal up to the receiver's spelling (`self._lock` vs `me._lock`)."""
    if a == b:
        return True
    if "." in a and "." in b and not a.startswith("locked:"):
        return a.split(".", 1)[1] == b.split(".", 1)[1]
    return False


def deadlock_reason(
    analysis: FileAnalysis, op: FileOp, region: Region, key: str, exists: bool
) -> Optional[str]:
    """Why wrapping would self-deadlock on an existing non-reentrant lock, if it would."""
    if not exists or op.function is None:
        return None
    class_node = op.path.scope if op.path is not None else None
    if analysis.is_reentrant(key, class_node):
        return None
    for site in analysis.call_sites(op.function):
        if any(same_lock_key(key, held) for held in site.held):
            caller = site.caller.name if site.caller is not None else "module code"
            return (
                f"`{op.function.name}()` is called from `{caller}()` with `{key}` held; "
                "a second acquire would deadlock"
            )
    for stmt in region.statements:
        for node in walk_statements([stmt]):
            if isinstance(node, cst.Call):
                helper = analysis.helper_called(node, op.function)
                if helper is not None and _takes(analysis, helper, key):
                    return f"`{helper.name}()`, called inside, takes `{key}` itself; wrapping would deadlock"
    return None


def _takes(analysis: FileAnalysis, helper, key: str) -> bool:
    for node in walk_all(helper.node):
        if isinstance(node, cst.With):
            for item in node.items:
                if analysis.locks.is_lock(item.item) and same_lock_key(analysis.locks.lock_key(item.item), key):
                    return True
    return False


def writer_locks(analysis: FileAnalysis, reader: FileOp) -> list[tuple[FileOp, str]]:
    """Each in-place write of the reader's file under a lock (same class/module), with
    the lock it holds (the per-path `locked` first, else the outermost)."""
    assert reader.path is not None
    found = []
    for op in analysis.ops:
        if not op.is_write or op.path is None or op.function is None or op.in_main_guard:
            continue
        if op.path.key != reader.path.key or op.path.scope is not reader.path.scope:
            continue
        held = analysis.effective_locks(op)
        if held:
            locked = [key for key in held if key.startswith("locked:")]
            found.append((op, (locked or list(held))[0]))
    return found


def _receiver_for(analysis: FileAnalysis, op: FileOp) -> Optional[str]:
    function = op.function
    while function is not None and function.class_node is None:
        function = function.parent
    if function is None or function.class_node is None:
        return None
    if function.receiver:
        return function.receiver
    return function.class_node.name.value


def reader_lock(
    analysis: FileAnalysis, writer: FileOp, key: str, reader: FileOp
) -> tuple[Optional[cst.BaseExpression], list, str]:
    """The writer's lock spelt for the reader's function (None if it cannot be)."""
    if key.startswith("locked:"):
        lock, edits = _locked_expr(analysis, unparenthesised(reader.path_expr))
        return lock, edits, key
    expr = writer.held_exprs.get(key)
    text = dotted_name(expr) if expr is not None else key
    if not text or is_wrapper_key(text) or not all(part.isidentifier() for part in text.split(".")):
        return None, [], key
    head, _, rest = text.partition(".")
    if rest:
        writer_receiver = _receiver_for(analysis, writer)
        class_node = reader.path.scope if reader.path is not None else None
        if head == writer_receiver or (class_node is not None and head == class_node.name.value):
            receiver = _receiver_for(analysis, reader)
            if receiver is None:
                return None, [], key
            text = f"{receiver}.{rest}"
    return cst.parse_expression(text), [], text
