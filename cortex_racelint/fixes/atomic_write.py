"""The atomic form of a file-write fix: the atomic-write helpers (temp file + `os.replace`).

Readers of an atomically replaced file see the old or the new content, never a partial one,
so this form needs no lock on the reader side. Only writes scoped by a `with` (or a
`write_text`/`write_bytes` statement) have such a form.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_write_sites import unlocked_write
from ..analysis.file_writes import ATOMIC_MODES, FileAnalysis, FileOp, Region, walk_all
from ..analysis.lazyinit import walk_statements
from ..ftypes import FixApplicability
from ..rule import AddImport, Fix
from .blocks import unparenthesised

_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _arguments_fit(call: cst.Call, max_positional: int, keywords: set[str]) -> bool:
    positional = 0
    for arg in call.args:
        if arg.star:
            return False
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value not in keywords:
            return False
    return positional <= max_positional


def _is_expression_statement(op: FileOp) -> bool:
    return (
        len(op.stack) >= 3
        and isinstance(op.stack[-2], cst.Expr)
        and isinstance(op.stack[-3], cst.SimpleStatementLine)
        and len(op.stack[-3].body) == 1
    )


def _reads_file_name(op: FileOp) -> bool:
    """`f.name` read in the function of `with open(p, "w") as f:`: in the atomic form `f` is the
    temp file, whose `name` is not `p` (and is gone once the block publishes it)."""
    found = op.with_item()
    if found is None or op.function is None:
        return False
    target = found[1].asname.name if found[1].asname is not None else None
    if not isinstance(target, cst.Name):
        return False
    return any(
        isinstance(node, cst.Attribute)
        and node.attr.value == "name"
        and isinstance(node.value, cst.Name)
        and node.value.value == target.value
        for node in walk_statements(list(op.function.node.body.body))
    )


def atomic_call(analysis: FileAnalysis, op: FileOp) -> Optional[tuple[cst.Call, str]]:
    """The atomic-helper spelling of a write, and the helper's name, when one fits.

    `with open(p, "w", encoding=e) as f:` -> `with atomic_write(p, "w", encoding=e) as f:`;
    `p.write_text(s)` -> `atomic_write_text(p, s)`; `p.write_bytes(b)` -> `atomic_write_bytes(p, b)`.
    Appends, `+` modes, `errors=`/`buffering=`, file objects not scoped by a `with`
    (or a `write_text` whose result is used) and files whose `.name` the function reads
    have no atomic form.
    """
    call = op.call
    if _reads_file_name(op):
        return None
    if op.verb == "open" and op.with_item() is not None and op.mode in ATOMIC_MODES:
        if _arguments_fit(call, 2, {"mode", "encoding", "newline"}):
            return call.with_changes(func=cst.Name("atomic_write")), "atomic_write"
    if op.verb == "path_open" and op.with_item() is not None and op.mode in ATOMIC_MODES:
        if _arguments_fit(call, 1, {"mode", "encoding", "newline"}):
            args = [cst.Arg(unparenthesised(op.path_expr), comma=_COMMA), *call.args]
            return call.with_changes(func=cst.Name("atomic_write"), args=args), "atomic_write"
    if op.verb in ("write_text", "write_bytes") and _is_expression_statement(op):
        fits = (
            _arguments_fit(call, 2, {"data", "encoding", "newline"})
            if op.verb == "write_text"
            else _arguments_fit(call, 1, {"data"})
        )
        if fits and call.args:
            helper = "atomic_write_text" if op.verb == "write_text" else "atomic_write_bytes"
            args = [cst.Arg(unparenthesised(op.path_expr), comma=_COMMA), *call.args]
            return call.with_changes(func=cst.Name(helper), args=args), helper
    return None


def atomic_fix(analysis: FileAnalysis, op: FileOp, new_call: cst.Call, helper: str) -> Fix:
    """The write alone rewritten to `helper` (the `file-write-fix = "atomic"` style)."""
    assert op.path is not None
    return Fix(
        f"Write `{op.path.key}` atomically with `{helper}` (temp file + os.replace)",
        {op.call: new_call},
        [AddImport(analysis.atomic_module, helper)],
        FixApplicability.UNSAFE,
    )


def atomic_rewrites(analysis: FileAnalysis, region: Region) -> tuple[dict[cst.CSTNode, cst.CSTNode], list[str]]:
    """The unlocked writes inside a region that have an atomic form: call -> new call, and the helpers used."""
    inner: dict[cst.CSTNode, cst.CSTNode] = {}
    helpers: list[str] = []
    for stmt in region.statements:
        for node in walk_statements([stmt]):
            other = analysis.by_call.get(id(node)) if isinstance(node, cst.Call) else None
            if other is not None and unlocked_write(analysis, other):
                found = atomic_call(analysis, other)
                if found is not None:
                    inner[other.call] = found[0]
                    helpers.append(found[1])
    return inner, helpers


def atomic_publish(
    analysis: FileAnalysis, op: FileOp, region: Region, target: cst.BaseExpression
) -> tuple[dict[cst.CSTNode, object], list[str]]:
    """A hand-written save through a shared temp file, made with the helper instead:
    `with open(tmp, "w") as f: ...` + `os.replace(tmp, target)` -> `with atomic_write(target, "w") as f: ...`
    (a unique temp file per write). Nothing when the shape differs or `target` could change
    between the write and the publish."""
    found = atomic_call(analysis, op)
    levels = op.levels()
    if found is None or found[1] != "atomic_write" or region.publish is None or not levels:
        return {}, []
    block, index = levels[0]
    if block is not region.block or not region.start <= index < region.end:
        return {}, []
    publish = block.body[region.end]
    if not (
        isinstance(publish, cst.SimpleStatementLine)
        and len(publish.body) == 1
        and isinstance(publish.body[0], cst.Expr)
        and publish.body[0].value is region.publish
    ):
        return {}, []
    names = {node.value for node in walk_statements([target]) if isinstance(node, cst.Name)}
    for stmt in block.body[index + 1 : region.end]:
        for node in walk_statements([stmt]):
            bound = [t.target for t in node.targets] if isinstance(node, cst.Assign) else []
            if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                bound = [node.target]
            if any(isinstance(t, cst.Name) and t.value in names for t in bound):
                return {}, []
    new_call = found[0]
    args = [new_call.args[0].with_changes(value=unparenthesised(target)), *new_call.args[1:]]
    return {op.call: new_call.with_changes(args=args), publish: cst.RemoveFromParent()}, ["atomic_write"]


def unused_temp_binding(op: FileOp, region: Region) -> Optional[cst.SimpleStatementLine]:
    """`tmp = <path>` before the block, once `atomic_publish` leaves `tmp` unused (a linter
    would flag the dead local); None when `tmp` is used elsewhere or the line carries comments."""
    if not isinstance(op.path_expr, cst.Name) or op.function is None:
        return None
    name = op.path_expr.value
    uses = sum(1 for node in walk_all(op.function.node.body) if isinstance(node, cst.Name) and node.value == name)
    if uses != 3:  # the binding, the open, the publish
        return None
    for stmt in region.block.body[: region.start]:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name) and target.value == name:
                comments = any(line.comment is not None for line in stmt.leading_lines)
                return None if comments or stmt.trailing_whitespace.comment is not None else stmt
    return None
