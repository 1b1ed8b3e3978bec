"""Check-then-create of a shared file (CRL303): which write creates a file an existence check guards.

`if not p.exists(): <create p>` (or `if p.exists(): return <read p>` then `<create p>`, or an
`if/else` on the check): two first users both see no file and both create it; the later
truncates what the earlier wrote, and each keeps what it wrote itself (a key file: one key is
lost). A *create* is a write that truncates or makes the file: `os.open` with `O_CREAT` (no
`O_EXCL`, no `O_APPEND`), `open(p, "w"/"wb")`, `<path>.open("w")`, `write_text`/`write_bytes`.

CRL301 leaves such a write to CRL303 (one finding per race). The site records what the fix
needs: the statement holding the create, the branch taken when the file exists (the fallback
when the exclusive create finds the file), and the statements after the create in its branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from .file_writes import FileAnalysis, FileOp, _cannot_fall_through, walk_all
from .lazyinit import walk_statements
from .names import dotted_name

#: truncating text/binary modes whose exclusive form is the same mode with `x`
CREATE_MODES = {"w": "x", "wb": "xb", "bw": "xb", "wt": "xt", "tw": "xt"}


@dataclass
class CreateSite:
    """A create of a shared file that an existence check of the same file guards."""

    op: FileOp
    check: cst.CSTNode  # the `if` statement testing the file
    block: cst.IndentedBlock  # the block holding the create statement
    index: int  # the create statement's index in it
    #: what runs when the file exists: copied as the fallback of the exclusive create
    exists_branch: list[cst.BaseStatement] = field(default_factory=list)
    #: the exists branch continues after the check (else it returns or raises)
    falls_through: bool = True
    #: why no fix is offered, or None
    reason: Optional[str] = None

    @property
    def create(self) -> cst.BaseStatement:
        return self.block.body[self.index]

    @property
    def tail(self) -> list[cst.BaseStatement]:
        """The statements after the create in its block (they run only for the creator)."""
        return list(self.block.body[self.index + 1 :])


def creates(analysis: FileAnalysis, op: FileOp) -> bool:
    """`op` makes or truncates its file (and is not already exclusive or an append)."""
    if op.verb == "os_open":
        flags = _flags_text(analysis, op)
        return flags is not None and "O_CREAT" in flags and "O_EXCL" not in flags and "O_APPEND" not in flags
    if op.verb in ("open", "path_open"):
        return op.mode in CREATE_MODES
    return op.verb in ("write_text", "write_bytes")


def _flags_text(analysis: FileAnalysis, op: FileOp) -> Optional[str]:
    flags = os_open_flags(op.call)
    return analysis.context.module.code_for_node(flags) if flags is not None else None


def os_open_flags(call: cst.Call) -> Optional[cst.BaseExpression]:
    for position, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "flags":
            return arg.value
        if arg.keyword is None and position == 1:
            return arg.value
    return None


def create_site(analysis: FileAnalysis, op: FileOp) -> Optional[CreateSite]:
    """The check-then-create `op` belongs to, memoised (CRL301 asks too, to leave it to CRL303)."""
    key = ("file_create_site", id(op.call))
    memo = analysis.context.memo
    if key not in memo:
        site = _find(analysis, op) if op.path is not None and creates(analysis, op) else None
        memo[key] = site if site is not None and _first_create(analysis, site) else None
    return memo[key]  # type: ignore[return-value]


def _first_create(analysis: FileAnalysis, site: CreateSite) -> bool:
    """The create is the first write of the file after the check, and runs once per check (not in a
    loop below it): a second write (`p.write_text(a)` ... `p.write_text(b)`), or the same one on the
    next iteration, finds the file the first made; made exclusive, it would take the exists branch
    even on one thread."""
    op = site.op
    assert op.path is not None and op.function is not None
    for position in range(len(op.stack) - 2, 0, -1):
        node = op.stack[position]
        if node is site.check:
            break
        if isinstance(node, (cst.For, cst.While)):
            return False
    order = {id(node): i for i, node in enumerate(walk_all(op.function.node))}
    start, here = order.get(id(site.check), -1), order.get(id(op.call), -1)
    for other in analysis.ops:
        if other is op or not other.is_write or other.function is not op.function or other.path is None:
            continue
        if other.path.key == op.path.key and start < order.get(id(other.call), -1) < here:
            return False
    return True


def _check_polarity(analysis: FileAnalysis, test: cst.BaseExpression, op: FileOp) -> Optional[bool]:
    """True for `<check of op's file>`, False for `not <check>`, None for any other test."""
    positive = True
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, positive = test.expression, False
    if not isinstance(test, cst.Call):
        return None
    other = analysis.by_call.get(id(test))
    if other is None or other.verb != "check" or other.path is None or op.path is None:
        return None
    return positive if other.path.key == op.path.key else None


def _statement_holds_create(stmt: cst.BaseStatement, op: FileOp) -> bool:
    """The create is the statement itself, not buried in a condition or an argument of another call:
    `fd = os.open(...)`, `f = open(...)`, `with open(...) as f:`, `p.write_text(...)`."""
    if isinstance(stmt, cst.With):
        return any(item.item is op.call for item in stmt.items) and len(stmt.items) == 1
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, cst.Expr):
            return small.value is op.call and op.verb in ("write_text", "write_bytes")
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            return small.value is op.call and op.verb in ("os_open", "open", "path_open")
    return False


def _find(analysis: FileAnalysis, op: FileOp) -> Optional[CreateSite]:
    levels = op.levels()
    if not levels:
        return None
    block, index = levels[0]
    holds = _statement_holds_create(block.body[index], op)
    # `if not exists: <create>` / `if exists: ... else: <create>`: the create's own block is a branch
    if len(levels) >= 2:
        outer_block, outer_index = levels[1]
        check = outer_block.body[outer_index]
        if isinstance(check, cst.If):
            polarity = _check_polarity(analysis, check.test, op)
            in_body = check.body is block
            in_else = isinstance(check.orelse, cst.Else) and check.orelse.body is block
            if polarity is not None and ((in_body and not polarity) or (in_else and polarity)):
                if in_body and isinstance(check.orelse, cst.If):
                    return CreateSite(op, check, block, index, [], True, "the check has an `elif`: the exists branch is not one block")
                other = check.body if in_else else (check.orelse.body if isinstance(check.orelse, cst.Else) else None)
                branch = _suite_statements(other) if other is not None else []
                falls = not (branch and _ends_flow(branch))
                reason = None if holds else "the create is not a statement of its own in the branch"
                site = CreateSite(op, check, block, index, branch, falls, reason)
                if site.reason is None and falls:
                    site.reason = _unrecoverable(site, outer_block, outer_index)
                return site
        # `try: <read> except FileNotFoundError: <create>`: the create's block is the handler
        if isinstance(check, cst.Try):
            handler = next((h for h in check.handlers if h.body is block), None)
            if handler is not None and _catches_missing(handler) and _reads(analysis, check.body, op):
                branch = _suite_statements(check.body) + (_suite_statements(check.orelse.body) if check.orelse else [])
                falls = not _ends_flow(branch)
                reason = None if holds else "the create is not a statement of its own in the handler"
                if reason is None and len(check.handlers) > 1:
                    reason = "the read has other handlers: a caller that finds the file made would not run them"
                site = CreateSite(op, check, block, index, branch, falls, reason)
                if site.reason is None and falls:
                    site.reason = _unrecoverable(site, outer_block, outer_index)
                return site
    # `if exists: return <read>` (or `try: return <read> except FileNotFoundError: pass`) earlier
    # in an enclosing block, then the create
    for level_block, level_index in levels:
        for stmt in level_block.body[:level_index]:
            branch: list[cst.BaseStatement] = []
            reason = None if holds else "the create is not a statement of its own"
            if isinstance(stmt, cst.If) and stmt.orelse is None and _check_polarity(analysis, stmt.test, op) is True:
                branch = _suite_statements(stmt.body)
            elif (
                isinstance(stmt, cst.Try)
                and stmt.orelse is None
                and any(_catches_missing(h) and not _ends_flow(_suite_statements(h.body)) for h in stmt.handlers)
                and _reads(analysis, stmt.body, op)
            ):
                branch = _suite_statements(stmt.body)
                if reason is None and len(stmt.handlers) > 1:
                    reason = "the read has other handlers: a caller that finds the file made would not run them"
            if branch and _ends_flow(branch):
                return CreateSite(op, stmt, block, index, branch, False, reason)
    return None


def _catches_missing(handler: cst.ExceptHandler) -> bool:
    """`except FileNotFoundError:` (alone: a broader `OSError` would also send a permission error to
    the create, where the exclusive create then behaves differently)."""
    return isinstance(handler.type, cst.Name) and handler.type.value == "FileNotFoundError"


def _reads(analysis: FileAnalysis, suite: cst.BaseSuite, op: FileOp) -> bool:
    """The suite reads `op`'s file (`open(p)`, `p.read_text()`, ...)."""
    assert op.path is not None
    for node in walk_statements(_suite_statements(suite)):
        other = analysis.by_call.get(id(node)) if isinstance(node, cst.Call) else None
        if other is not None and other.is_read and other.path is not None and other.path.key == op.path.key:
            return True
    return False


def _suite_statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=list(suite.body))]


def _ends_flow(statements: list[cst.BaseStatement]) -> bool:
    """The statements never fall through: they end in `return`/`raise`, also inside a `with`
    (`with open(p) as f: return f.read()`) or in every branch of an `if`/`try`."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.With):
        return _ends_flow(_suite_statements(last.body))
    if isinstance(last, cst.If):
        orelse = last.orelse
        if orelse is None:
            return False
        other = [orelse] if isinstance(orelse, cst.If) else _suite_statements(orelse.body)
        return _ends_flow(_suite_statements(last.body)) and _ends_flow(other)
    if isinstance(last, cst.Try):
        return _ends_flow(_suite_statements(last.body)) and all(
            _ends_flow(_suite_statements(h.body)) for h in last.handlers
        ) and last.orelse is None
    return _cannot_fall_through(cst.IndentedBlock(body=statements))


def _assigned(statements: list[cst.BaseStatement]) -> tuple[set[str], set[str]]:
    """(names, dotted attribute targets) the statements assign, nested defs excluded."""
    names: set[str] = set()
    attributes: set[str] = set()
    for node in walk_statements(statements):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [node.asname.name]
        for target in targets:
            if isinstance(target, cst.Name):
                names.add(target.value)
            elif isinstance(target, cst.Attribute):
                dotted = dotted_name(target)
                if dotted:
                    attributes.add(dotted)
            elif isinstance(target, (cst.Tuple, cst.List)):
                names.update(e.value.value for e in target.elements if isinstance(e.value, cst.Name))
    return names, attributes


def _unrecoverable(site: CreateSite, outer: cst.IndentedBlock, check_index: int) -> Optional[str]:
    """Why a caller that finds the file already made could not end up as it would had it taken the
    exists branch: the creating branch keeps a value (a name read after the check, an attribute)
    that the exists branch does not set from the file."""
    missing_branch = list(site.block.body)
    names, _ = _assigned(missing_branch)
    kept_names, kept_attributes = _assigned(site.exists_branch)
    create = site.create
    descriptor: set[str] = set()
    if isinstance(create, cst.SimpleStatementLine) and isinstance(create.body[0], cst.Assign):
        descriptor = {t.target.value for t in create.body[0].targets if isinstance(t.target, cst.Name)}
    if isinstance(create, cst.With):
        descriptor = {i.asname.name.value for i in create.items if i.asname is not None and isinstance(i.asname.name, cst.Name)}
    later = outer.body[check_index + 1 :]
    nodes = list(walk_statements(later))
    attributes_named = {id(n.attr) for n in nodes if isinstance(n, cst.Attribute)}
    read_later = {n.value for n in nodes if isinstance(n, cst.Name) and id(n) not in attributes_named}
    for name in sorted(names - kept_names - descriptor):
        if name in read_later:
            return (
                f"the creating branch keeps `{name}`, read after the check: a caller that finds the file "
                "already made would keep its own value, not the one in the file"
            )
    _, tail_attributes = _assigned(site.tail)
    for attribute in sorted(tail_attributes - kept_attributes):
        return (
            f"the creating branch sets `{attribute}` after the create and the exists branch does not: "
            "a caller that finds the file already made could not recover it from the file"
        )
    return None


def same_content(analysis: FileAnalysis, site: CreateSite) -> bool:
    """Every creator writes the same bytes: a literal or a module constant (`p.write_text(DEFAULTS)`,
    `f.write("{}")`, `os.write(fd, b"")`). Then no caller keeps a content the file lacks; the race
    only lets a reader see the file empty between one creator's truncation and its write."""
    op = site.op
    if op.verb in ("write_text", "write_bytes"):
        values = [op.call.args[0].value] if op.call.args and op.call.args[0].keyword is None else []
    else:
        values = _written_values(analysis, site)
    return bool(values) and all(_constant(analysis, value, op) for value in values)


def _written_values(analysis: FileAnalysis, site: CreateSite) -> list[cst.BaseExpression]:
    """What `f.write(x)` / `os.write(fd, x)` write to the created file object or descriptor (empty
    when the file or descriptor is used any other way: the content is then not known)."""
    create = site.create
    name: Optional[str] = None
    statements: list[cst.BaseStatement]
    if isinstance(create, cst.With) and create.items[0].asname is not None:
        target = create.items[0].asname.name
        name = target.value if isinstance(target, cst.Name) else None
        statements = _suite_statements(create.body)
    elif isinstance(create, cst.SimpleStatementLine) and isinstance(create.body[0], cst.Assign):
        target = create.body[0].targets[0].target
        name = target.value if isinstance(target, cst.Name) else None
        statements = site.tail
    else:
        return []
    if name is None:
        return []
    values: list[cst.BaseExpression] = []
    uses = 0
    for node in walk_statements(statements):
        if isinstance(node, cst.Name) and node.value == name:
            uses += 1
        if not isinstance(node, cst.Call):
            continue
        func, args = node.func, node.args
        if isinstance(func, cst.Attribute) and func.attr.value == "write" and len(args) == 1:
            if isinstance(func.value, cst.Name) and func.value.value == name:
                values.append(args[0].value)
        elif analysis.imports.qualify_call(node) == "os.write" and len(args) == 2:
            if isinstance(args[0].value, cst.Name) and args[0].value.value == name:
                values.append(args[1].value)
        elif analysis.imports.qualify_call(node) == "os.close" and len(args) == 1:
            if isinstance(args[0].value, cst.Name) and args[0].value.value == name:
                values.append(cst.SimpleString('""'))  # closing writes nothing
    return values if values and uses == len(values) else []


def _constant(analysis: FileAnalysis, value: cst.BaseExpression, op: FileOp) -> bool:
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
        return True
    if isinstance(value, cst.Name) and op.function is not None:
        if analysis._is_bound(value.value, op.function):
            return False
        stmt = analysis.context.module_assignments.get(value.value)
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
            return isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    return False


__all__ = ["CREATE_MODES", "CreateSite", "create_site", "creates", "os_open_flags", "same_content"]
