"""CST building blocks the fix forms are made of: `with` wraps, double-checked locking, node swaps.

Fixes are built as CST nodes, never as re-indented text, so statements moved into a new
block keep their comments, blank lines and string contents byte for byte.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, TypeVar

import libcst as cst

_N = TypeVar("_N", bound=cst.CSTNode)


def with_lock(lock: cst.BaseExpression, body: Sequence[cst.BaseStatement]) -> cst.With:
    return cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock(body=list(body)))


def block_statements(suite: cst.BaseSuite) -> tuple[list[cst.BaseStatement], cst.TrailingWhitespace]:
    """A suite's statements as full lines, and the header's trailing comment.

    `if x: a = 1  # note` is a one-line suite of small statements; moved into a new
    indented block it becomes one statement line that keeps the comment.
    """
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body), suite.header
    assert isinstance(suite, cst.SimpleStatementSuite)
    line = cst.SimpleStatementLine(body=list(suite.body), trailing_whitespace=suite.trailing_whitespace)
    return [line], cst.TrailingWhitespace()


def _as_block(suite: cst.BaseSuite, body: Sequence[cst.BaseStatement], header: cst.TrailingWhitespace) -> cst.IndentedBlock:
    if isinstance(suite, cst.IndentedBlock):
        return suite.with_changes(body=list(body))
    return cst.IndentedBlock(body=list(body), header=header)


def double_checked(check: cst.If, lock: cst.BaseExpression, reread: Sequence[cst.BaseStatement] = ()) -> cst.If:
    """`if missing: act` -> `if missing: with lock: if missing: act` (comments kept).

    `reread` goes under the lock before the re-check: when the test is on a local copy
    (`v = cache.get(k)` / `if v is None:`), re-testing the stale copy would check nothing.
    The check's `else:`/`elif` goes on the re-check too: when another thread won the race, the
    code must take the branch it takes when the state exists (zeroconf's `else: logger =
    log.debug`), or what that branch binds stays unbound.
    """
    statements, header = block_statements(check.body)
    orelse = shifted(check.orelse.deep_clone(), 2) if check.orelse is not None else None
    inner = cst.If(
        test=shifted(check.test.deep_clone(), 2),
        body=cst.IndentedBlock(body=shifted_all(statements, 2)),
        orelse=orelse,
    )
    return check.with_changes(body=_as_block(check.body, [with_lock(lock, [*reread, inner])], header))


def recheck_inside(
    with_node: cst.With, test: cst.BaseExpression, reread: Sequence[cst.BaseStatement] = ()
) -> cst.With:
    """Broken double-checked locking: add the re-check (after `reread`, see `double_checked`) under the lock."""
    statements, header = block_statements(with_node.body)
    inner = cst.If(test=test.deep_clone(), body=cst.IndentedBlock(body=shifted_all(statements, 1)))
    return with_node.with_changes(body=_as_block(with_node.body, [*reread, inner], header))


def replace_in(node: cst.CSTNode, replacements: dict[cst.CSTNode, cst.CSTNode]) -> cst.CSTNode:
    """`node` with descendants swapped by identity (for fixes that also move `node`)."""
    if not replacements:
        return node

    return node.visit(_Swap({id(old): new for old, new in replacements.items()}))


class _Swap(cst.CSTTransformer):
    """Swaps nodes by identity (a module-level class: one made per call is a reference cycle)."""

    def __init__(self, by_id: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.by_id = by_id

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        return self.by_id.get(id(original_node), updated_node)


def negated(test: cst.BaseExpression) -> cst.BaseExpression:
    """`not test`, spelt simply: `x` -> `not x`, `not x` -> `x`, `a and b` -> `not (a and b)`, and
    `a is b` -> `a is not b`, `a in b` -> `a not in b` (and back), which Python defines as the same
    test (`==` is not turned into `!=`: a class may define them apart)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression.deep_clone()
        return inner.with_changes(lpar=[], rpar=[]) if isinstance(inner, (cst.Name, cst.Attribute, cst.Call)) else inner
    flipped = _flipped_comparison(test)
    if flipped is not None:
        return flipped
    operand = test.deep_clone()
    if isinstance(operand, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)) and not operand.lpar:
        operand = operand.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.UnaryOperation(operator=cst.Not(), expression=operand)


_OPPOSITE = {cst.Is: cst.IsNot, cst.IsNot: cst.Is, cst.In: cst.NotIn, cst.NotIn: cst.In}


def _flipped_comparison(test: cst.BaseExpression) -> Optional[cst.Comparison]:
    """`a is b` as `a is not b` (one `is`/`in` comparison, no parentheses), else None."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or test.lpar:
        return None
    target = test.comparisons[0]
    opposite = _OPPOSITE.get(type(target.operator))
    if opposite is None:
        return None
    operator = opposite(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" "))
    return test.deep_clone().with_changes(comparisons=[target.deep_clone().with_changes(operator=operator)])


def wrap_statements(lock: cst.BaseExpression, stmts: Sequence[cst.BaseStatement]) -> cst.With:
    """`with lock:` around `stmts`; the first statement's leading comments move above the `with`."""
    first = stmts[0]
    leading = getattr(first, "leading_lines", ())
    body = [first.with_changes(leading_lines=()) if leading else first, *stmts[1:]]
    return with_lock(lock, shifted_all(body, 1)).with_changes(leading_lines=leading)


_INDENT = "    "
_CONTINUATION = re.compile(r"\\(\r\n|\r|\n)([ \t]*)")


class _Shift(cst.CSTTransformer):
    """Deepens backslash continuations: LibCST keeps their next line's indentation as written
    (absolute), while a parenthesised continuation follows its block (relative)."""

    def __init__(self, levels: int) -> None:
        super().__init__()
        self.extra = _INDENT * levels

    def leave_SimpleWhitespace(self, original_node, updated_node):  # type: ignore[override]
        if "\\" not in updated_node.value:
            return updated_node
        value = _CONTINUATION.sub(lambda m: "\\" + m.group(1) + m.group(2) + self.extra, updated_node.value)
        return updated_node.with_changes(value=value)


def shifted(node: _N, levels: int) -> _N:
    """`node` moved `levels` blocks deeper: its backslash-continued lines follow it."""
    if levels <= 0 or "\\" not in cst.Module(body=[]).code_for_node(node):
        return node
    return node.visit(_Shift(levels))  # type: ignore[return-value]


def shifted_all(stmts: Sequence[_N], levels: int) -> list[_N]:
    return [shifted(stmt, levels) for stmt in stmts]


def unparenthesised(expr: cst.BaseExpression) -> cst.BaseExpression:
    """A copy of `expr` without its own parentheses, to be used as a call argument."""
    if isinstance(expr, (cst.Tuple, cst.Yield)) or not getattr(expr, "lpar", None):
        return expr.deep_clone()
    return expr.deep_clone().with_changes(lpar=[], rpar=[])
