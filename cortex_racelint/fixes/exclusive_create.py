"""The exclusive-create form of a check-then-create fix (CRL303).

The create becomes exclusive (`O_CREAT | O_EXCL`, mode `"x"`), in a `try` whose
`except FileExistsError:` runs what the code runs when the check finds the file (the exists
branch, copied): a caller that loses the race ends with the winner's content, read back from
the file, instead of truncating it. Statements after the create in its branch move to the
`try`'s `else:` when the exists branch falls through (only the creator runs them).

The exclusive create alone leaves a gap: the loser may read the file between the winner's
create and its write (an empty key). So the check, the create and the write are also held
under the file's lock, chosen by `fixes/locks/file_writes.py`: the per-path `locked(path)`
where the project has the helper (threads, instances and processes), else the lock CRL301
would take (one process; for an instance lock, one object: other instances at least never
truncate the winner's file).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_creates import CREATE_MODES, CreateSite, os_open_flags
from ..analysis.file_write_sites import file_region
from ..analysis.file_writes import FileAnalysis, _argument, walk_all
from ..ftypes import FixApplicability
from ..rule import AddImport, Fix
from .blocks import replace_in, unparenthesised
from .locked_write import locked_write_fix, no_lock_reason, region_lock

_WRITE_TEXT_PARAMS = ("data", "encoding", "errors", "newline")


def exclusive_create_fix(analysis: FileAnalysis, site: CreateSite) -> tuple[Optional[Fix], Optional[str]]:
    """The create made exclusive with its fallback, under the file's lock (see the module doc)."""
    if site.reason is not None:
        return None, site.reason
    op = site.op
    assert op.path is not None
    region = file_region(analysis, op)
    reason = no_lock_reason(op, region)
    if reason is not None:
        return None, reason
    assert region is not None
    chosen, reason = region_lock(analysis, op, region, FixApplicability.UNSAFE)
    if chosen is None:
        return None, reason
    lock, edits, key = chosen
    covered = {id(node) for stmt in region.statements for node in walk_all(stmt)}
    if id(site.create) not in covered:
        return None, "the create is outside the statements one lock can wrap with its check"
    built = _exclusive_statement(analysis, site)
    if built is None:
        return None, "the create's arguments are not understood (flags or mode not written out)"
    statement, create_edits = built
    inner: dict[cst.CSTNode, object] = {site.create: _try_statement(site, statement)}
    if site.falls_through:
        for stmt in site.tail:
            inner[stmt] = cst.RemoveFromParent()
    fix, reason = locked_write_fix(analysis, op, region, lock, [*edits, *create_edits], key, inner, [])
    if fix is None:
        return None, reason
    for stmt in site.tail if site.falls_through else ():
        if id(stmt) not in covered:  # moved into the `else:` from beyond the locked statements
            fix.replacements[stmt] = cst.RemoveFromParent()
    lock_text = analysis.context.module.code_for_node(lock)
    fix.message = (
        f"Create `{op.path.key}` exclusively under `{lock_text}`; a caller that finds it made takes "
        "the branch for an existing file"
    )
    fix.applicability = FixApplicability.UNSAFE
    return fix, None


def _try_statement(site: CreateSite, create: cst.BaseStatement) -> cst.Try:
    original = site.create
    fallback = [stmt.deep_clone() for stmt in site.exists_branch] or [cst.SimpleStatementLine(body=[cst.Pass()])]
    orelse = None
    if site.falls_through and site.tail:
        orelse = cst.Else(body=cst.IndentedBlock(body=site.tail))
    return cst.Try(
        body=cst.IndentedBlock(body=[create.with_changes(leading_lines=())]),
        handlers=[
            cst.ExceptHandler(
                type=cst.Name("FileExistsError"),
                body=cst.IndentedBlock(body=fallback),
                whitespace_after_except=cst.SimpleWhitespace(" "),
            )
        ],
        orelse=orelse,
        leading_lines=getattr(original, "leading_lines", ()),
    )


def _exclusive_statement(analysis: FileAnalysis, site: CreateSite) -> Optional[tuple[cst.BaseStatement, list]]:
    """The create statement with the exclusive flag or mode (and the imports it needs)."""
    op = site.op
    create = site.create
    if op.verb == "os_open":
        found = _exclusive_flags(analysis, op.call)
        if found is None:
            return None
        flags, edits = found
        return _swap(create, os_open_flags(op.call), flags), edits
    if op.verb in ("open", "path_open"):
        mode = _argument(op.call, 1 if op.verb == "open" else 0, "mode")
        if not isinstance(mode, cst.SimpleString):
            return None
        quote = mode.quote
        prefix = mode.prefix
        new_mode = mode.with_changes(value=f"{prefix}{quote}{CREATE_MODES[op.mode]}{quote}")
        return _swap(create, mode, new_mode), []
    return _open_exclusive(analysis, site)


def _swap(stmt: cst.BaseStatement, old: Optional[cst.CSTNode], new: cst.CSTNode) -> cst.BaseStatement:
    assert old is not None
    return replace_in(stmt, {old: new})  # type: ignore[return-value]


def _exclusive_flags(analysis: FileAnalysis, call: cst.Call) -> Optional[tuple[cst.BaseExpression, list]]:
    """`O_TRUNC` swapped for `O_EXCL` (spelt like it), else `<flags> | os.O_EXCL`."""
    flags = os_open_flags(call)
    if flags is None:
        return None
    for node in walk_all(flags):
        if isinstance(node, cst.Attribute) and node.attr.value == "O_TRUNC":
            return _swap_expr(flags, node, node.with_changes(attr=cst.Name("O_EXCL"))), []
        if isinstance(node, cst.Name) and node.value == "O_TRUNC":
            local = analysis.imports.local_name_for("os.O_EXCL")
            if local == "O_EXCL":
                return _swap_expr(flags, node, cst.Name("O_EXCL")), []
            return _swap_expr(flags, node, cst.Name("O_EXCL")), [AddImport("os", "O_EXCL")]
    local = analysis.imports.local_name_for("os.O_EXCL")
    edits: list = []
    if local is None:
        local, edits = "os.O_EXCL", [AddImport("os")]
    operand = flags.deep_clone()
    if isinstance(operand, (cst.BooleanOperation, cst.IfExp, cst.Lambda)) and not operand.lpar:
        operand = operand.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    new = cst.BinaryOperation(
        left=operand,
        operator=cst.BitOr(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" ")),
        right=cst.parse_expression(local),
    )
    return new, edits


def _swap_expr(root: cst.BaseExpression, old: cst.CSTNode, new: cst.CSTNode) -> cst.BaseExpression:
    return replace_in(root, {old: new})  # type: ignore[return-value]


def _open_exclusive(analysis: FileAnalysis, site: CreateSite) -> Optional[tuple[cst.BaseStatement, list]]:
    """`p.write_text(s, ...)` -> `with p.open("x", ...) as f: f.write(s)` (what `write_text` does, but
    exclusive); `write_bytes(b)` likewise with `"xb"`."""
    op = site.op
    call = op.call
    text = op.verb == "write_text"
    params = _WRITE_TEXT_PARAMS if text else ("data",)
    values: dict[str, cst.BaseExpression] = {}
    positional = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if positional >= len(params):
                return None
            values[params[positional]] = arg.value
            positional += 1
        elif arg.keyword.value in params:
            values[arg.keyword.value] = arg.value
        else:
            return None
    if "data" not in values:
        return None
    name = _free_name(site)
    quote = '"'
    args = [cst.Arg(cst.SimpleString(f"{quote}{'x' if text else 'xb'}{quote}"))]
    for keyword in params[1:]:
        if keyword in values:
            args.append(
                cst.Arg(
                    unparenthesised(values[keyword]),
                    keyword=cst.Name(keyword),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                )
            )
    args = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args[:-1]] + args[-1:]
    func = call.func
    assert isinstance(func, cst.Attribute)
    opened = cst.Call(func=func.with_changes(attr=cst.Name("open")), args=args)
    write = cst.SimpleStatementLine(
        body=[cst.Expr(cst.Call(func=cst.Attribute(cst.Name(name), cst.Name("write")), args=[cst.Arg(unparenthesised(values["data"]))]))]
    )
    stmt = site.create
    assert isinstance(stmt, cst.SimpleStatementLine)
    with_node = cst.With(
        items=[cst.WithItem(item=opened, asname=cst.AsName(name=cst.Name(name)))],
        body=cst.IndentedBlock(body=[write], header=stmt.trailing_whitespace),
        leading_lines=stmt.leading_lines,
    )
    return with_node, []


def _free_name(site: CreateSite) -> str:
    """A name for the opened file that the function does not use."""
    function = site.op.function
    scope = function.node if function is not None else site.create
    used = {n.value for n in walk_all(scope) if isinstance(n, cst.Name)}
    for name in ("f", "created", "new_file"):
        if name not in used:
            return name
    index = 1
    while f"created_{index}" in used:
        index += 1
    return f"created_{index}"
