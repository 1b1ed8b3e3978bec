"""Which file operations CRL301/CRL302 act on: in-scope sites, unlocked writes, per-path-locked files.

The rules ask it what to report and the fixes which writes to rewrite and which lock to take,
so it sits below both (fixes never import rules). Memoised on the context like `FileAnalysis`.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .file_writes import FileAnalysis, FileOp, Region, publish_target

_CONSTRUCTORS = ("__init__", "__new__", "__post_init__")


def in_scope(op: FileOp) -> bool:
    """Code that runs concurrently: inside a (sync) function, outside `__main__` blocks.

    Constructors are skipped for attribute paths: the object is not shared with another
    thread yet, and a lock created there could not guard it anyway.
    """
    if op.path is None or op.function is None or op.in_main_guard:
        return False
    if op.function.node.asynchronous is not None:
        return False  # one event-loop thread; a threading lock would block the loop
    if op.path.kind != "global" and op.function.name in _CONSTRUCTORS:
        return False
    return True


def unlocked_write(analysis: FileAnalysis, op: Optional[FileOp]) -> bool:
    return (
        op is not None
        and op.is_write
        and in_scope(op)
        and not analysis.effective_locks(op)
        and not analysis.escapes(op)
    )


def scope_id(op: FileOp) -> int:
    assert op.path is not None
    return id(op.path.scope) if op.path.scope is not None else 0


def _memo(analysis: FileAnalysis, name: str, compute):
    cache = analysis.context.memo
    key = (name, 0)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def file_region(analysis: FileAnalysis, op: FileOp) -> Optional[Region]:
    """`analysis.region(op)`, memoised: the rule and its fix both ask for it."""
    return _memo(analysis, f"file_region:{id(op.call)}", lambda: analysis.region(op))


def path_locked_files(analysis: FileAnalysis) -> set[tuple[int, str]]:
    """Files some code appends to after checking their content (the rc-file shape).

    Such check-then-append must be idempotent across threads *and processes*, so every
    write to that file in the class or module takes the helper module's per-path
    `locked(path)` (thread lock + `flock`, reentrant) instead of an in-process lock.
    """

    def compute() -> set[tuple[int, str]]:
        found = set()
        for op in analysis.ops:
            if unlocked_write(analysis, op) and op.is_append:
                region = file_region(analysis, op)
                if region is not None and region.read_first:
                    assert op.path is not None
                    found.add((scope_id(op), op.path.key))
        return found

    return _memo(analysis, "file_path_locked", compute)


def shared_temp_target(
    analysis: FileAnalysis, op: FileOp, region: Optional[Region]
) -> Optional[cst.BaseExpression]:
    """The target of a hand-written atomic save whose temp path does not derive from it
    (`os.path.join(self.folder, "save.tmp")` published at `self.folder / self.name`): every
    writer of the folder shares that temp file, whatever its target, so an instance lock
    cannot keep them apart. None for a temp path built from the target (`self.path + ".tmp"`)."""
    if region is None or region.publish is None or op.path is None:
        return None
    target = publish_target(region.publish)
    found = analysis.shared_path(target, op.function)
    target_key = found.key if found is not None else analysis.context.module.code_for_node(target)
    if _squeezed(target_key) in _squeezed(op.path.key):
        return None
    return target


def _squeezed(code: str) -> str:
    """Code without layout, so `a / b` and `a/b` compare equal."""
    return "".join(code.split())
