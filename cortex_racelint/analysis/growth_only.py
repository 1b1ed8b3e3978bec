"""A container only grown by one side and drained after a test by the other: no stale read.

rpyc's `Connection._send()` appends to `self._send_queue` without a lock, then loops
`while self._send_queue:` and, holding `_sendlock`, `pop(0)`s and sends. The pop is a
check-then-act (the `while` tests the queue), and an append on another thread can land between
the test and the pop. That cannot make the test wrong: a truthiness or membership test of a
container that the other side only *grows* stays true once true (the pop still finds an item,
`remove(x)` still finds `x`), and a test that saw it empty is the same as the append coming just
after it. So the pair (a growth: `append`/`appendleft`/`extend`/`extendleft`/`add`, against a
removal `pop()`/`pop(0)`/`pop(-1)`/`popleft()`/`remove(x)`/`discard(x)` under such a test) is
not a race. Two removers racing each other (`if q: q.pop()` on two threads) are still a
check-then-act pair of their own, judged as before; `clear()`, an index other than the ends,
`insert`, a size comparison (`len(q) == 1`) and a test `or`-ed with something else are not
covered (an append does change what they decide).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .access_kinds import CONTENTS_RMW, MUTATE
from .file_writes import walk_all

_GROWTH = frozenset({"append", "appendleft", "extend", "extendleft", "add"})
_REMOVAL = frozenset({"pop", "popleft", "remove", "discard"})


def growth_against_tested_removal(a, b) -> bool:
    """`a` and `b` (thread_model.Access) are a growth and a removal a test of emptiness or
    membership guards: the growth cannot falsify the test (see the module doc)."""
    for grow, take in ((a, b), (b, a)):
        if grow.kind == MUTATE and take.kind == CONTENTS_RMW and _method(grow) in _GROWTH and _removal(take):
            return True
    return False


def _call_of(access) -> Optional[cst.Call]:
    """`self.<attr>.m(...)`: the call, when the access is its receiver."""
    path = access.path
    if len(path) < 3:
        return None
    method, call = path[-2], path[-3]
    if isinstance(method, cst.Attribute) and method.value is access.node and isinstance(call, cst.Call) and call.func is method:
        return call
    return None


def _method(access) -> Optional[str]:
    call = _call_of(access)
    return call.func.attr.value if call is not None else None  # type: ignore[attr-defined]


def _removal(access) -> bool:
    call = _call_of(access)
    if call is None or access.check is None:
        return False
    name = call.func.attr.value  # type: ignore[attr-defined]
    if name not in _REMOVAL:
        return False
    if name == "pop" and call.args and not _end_index(call.args[0].value):
        return False  # `pop(i)` of an inner index: a growth at the front shifts it
    if len(call.args) > 1:
        return False
    return _tests_only(access.check.test, access.node)


def _end_index(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Integer):
        return expr.value == "0"
    return isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and (
        isinstance(expr.expression, cst.Integer) and expr.expression.value == "1"
    )


def _tests_only(test: cst.BaseExpression, attr: cst.Attribute) -> bool:
    """The test decides on the emptiness of, or membership in, `self.<attr>` (possibly `and`-ed
    with conditions on other things). Every operand that reads `self.<attr>` must be such a test:
    `q and q[-1] == x` then `q.pop()` pops an item appended after the test, not `x`."""
    if isinstance(test, cst.BooleanOperation):
        if not isinstance(test.operator, cst.And):
            return False
        operands = [o for o in (test.left, test.right) if _mentions(o, attr)]
        return bool(operands) and all(_tests_only(o, attr) for o in operands)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _tests_only(test.expression, attr)
    if _same(test, attr):
        return True
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value in ("len", "bool"):
        return len(test.args) == 1 and _same(test.args[0].value, attr)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return isinstance(target.operator, (cst.In, cst.NotIn)) and _same(target.comparator, attr)
    return False


def _same(expr: cst.BaseExpression, attr: cst.Attribute) -> bool:
    return (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and isinstance(attr.value, cst.Name)
        and expr.value.value == attr.value.value
        and expr.attr.value == attr.attr.value
    )


def _mentions(expr: cst.BaseExpression, attr: cst.Attribute) -> bool:
    """`expr` reads `self.<attr>` somewhere."""
    return any(isinstance(node, cst.Attribute) and _same(node, attr) for node in walk_all(expr))
