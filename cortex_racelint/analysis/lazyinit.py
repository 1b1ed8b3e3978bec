"""Recognise check-then-act lazy initialisation: `if <state missing>: <create state>`.

All singleton and lazy-cache rules share this: the spellings of "missing" (`is None`,
`== None`, `is _SENTINEL`, `not x`, `_x is None or ...`, `not hasattr(cls, "x")`, `k not in cache`, `cache.get(k) is None`, `(p := _x) is None`)
and of "create" (assignment to the state, or to `cache[k]`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Optional, Sequence

import libcst as cst

from .names import dotted_name
from .traverse import children


#: bases that make a class a metaclass (its instances are classes; `cls.x` in its methods is shared)
METACLASS_BASES = frozenset({"type", "ABCMeta", "abc.ABCMeta", "EnumMeta", "enum.EnumMeta", "EnumType", "enum.EnumType"})


@dataclass(frozen=True)
class LazyCheck:
    """A test on shared state. `missing` is True when the `if` body runs if it is absent."""

    state: str
    missing: bool
    keyed: bool = False
    #: `p` of a walrus test, `if (p := _x) is None:`: the local that holds the state after the test
    alias: Optional[str] = None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _string(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    return None


def _attr_probe(call: cst.BaseExpression, func: str) -> Optional[str]:
    """`hasattr(R, "X")` / `getattr(R, "X", None)` -> `R.X`."""
    if not isinstance(call, cst.Call) or dotted_name(call.func) != func or len(call.args) < 2:
        return None
    receiver = dotted_name(call.args[0].value)
    attribute = _string(call.args[1].value)
    if receiver and attribute:
        return f"{receiver}.{attribute}"
    return None


def parse_lazy_check(test: cst.BaseExpression) -> Optional[LazyCheck]:
    """The state a test checks for absence/presence, if it is a lazy-init test.

    `if _x is None or _x.closed:` and `if _x is None and enabled:` are absence tests too (the
    body creates the state when it is missing); a presence test inside `and`/`or` is not
    read (its early-return form would need the whole condition negated).
    """
    if isinstance(test, cst.BooleanOperation):
        return _in_boolean(test)
    if isinstance(test, cst.NamedExpr):  # `if (p := _x):` tests `_x`, and `p` holds it
        inner = parse_lazy_check(test.value)
        alias = test.target.value if isinstance(test.target, cst.Name) else None
        return replace(inner, alias=alias) if inner is not None and alias else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = parse_lazy_check(test.expression)
        if inner is not None and not inner.keyed and inner.state:
            return replace(inner, missing=not inner.missing)
        probed = _attr_probe(test.expression, "hasattr")
        return LazyCheck(probed, True) if probed else None
    if isinstance(test, (cst.Name, cst.Attribute)):
        name = dotted_name(test)
        return LazyCheck(name, False) if name else None
    probed = _attr_probe(test, "hasattr")
    if probed:
        return LazyCheck(probed, False)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    op = test.comparisons[0].operator
    left, right = test.left, test.comparisons[0].comparator
    if isinstance(op, (cst.NotIn, cst.In)):
        cache = dotted_name(right)
        return LazyCheck(cache, isinstance(op, cst.NotIn), keyed=True) if cache else None
    if isinstance(op, (cst.Is, cst.Equal, cst.IsNot, cst.NotEqual)):
        missing = isinstance(op, (cst.Is, cst.Equal))
        subject = right if _is_none(left) else left if _is_none(right) else None
        if subject is None and isinstance(op, (cst.Is, cst.IsNot)) and isinstance(right, cst.Name):
            subject = left  # a sentinel: `_x is _MISSING` (identity with a name; the body must create `_x`)
        alias = None
        if isinstance(subject, cst.NamedExpr):  # `(p := _x) is None`: the walrus spelling
            if not isinstance(subject.target, cst.Name):
                return None
            subject, alias = subject.value, subject.target.value
        if subject is None:
            return None
        return _subject_check(subject, missing, alias)
    return None


def _subject_check(subject: cst.BaseExpression, missing: bool, alias: Optional[str]) -> Optional[LazyCheck]:
    """The state compared with `None` (or a sentinel): `_x`, `cls._x`, `_c.get(k)`, `getattr(R, "x", None)`."""
    if isinstance(subject, cst.Call) and isinstance(subject.func, cst.Attribute) and subject.func.attr.value == "get":
        cache = dotted_name(subject.func.value)
        return LazyCheck(cache, missing, keyed=True, alias=alias) if cache else None
    probed = _attr_probe(subject, "getattr")
    if probed:
        return LazyCheck(probed, missing, alias=alias)
    name = dotted_name(subject)
    return LazyCheck(name, missing, alias=alias) if name else None


def _in_boolean(test: cst.BooleanOperation) -> Optional[LazyCheck]:
    """`A or B`: any operand that tests absence; `A and B`: the first operand, if it does."""
    operands: list[cst.BaseExpression] = []
    node: cst.BaseExpression = test
    while isinstance(node, cst.BooleanOperation) and type(node.operator) is type(test.operator):
        operands.insert(0, node.right)
        node = node.left
    operands.insert(0, node)
    candidates = operands if isinstance(test.operator, cst.Or) else operands[:1]
    for operand in candidates:
        check = parse_lazy_check(operand) if not isinstance(operand, cst.BooleanOperation) else None
        if check is not None and check.missing and not check.keyed:
            return check
    return None


#: the scopes `walk_statements` does not enter, by exact type (LibCST's node classes are ABCs:
#: an `isinstance` against three of them, per node, was most of this hot walk's own cost)
_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})


def walk_statements(stmts: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every node under `stmts`, not descending into nested functions or classes."""
    stack = list(reversed(stmts))
    scopes = _SCOPES
    while stack:
        node = stack.pop()
        yield node
        if type(node) in scopes:
            continue
        stack.extend(reversed(list(children(node))))


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    return []


def _flatten(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _flatten(element.value)
    else:
        yield target


def find_creation(stmts: Sequence[cst.CSTNode], check: LazyCheck) -> Optional[cst.CSTNode]:
    """The first statement-level node under `stmts` that creates the checked state."""
    for node in walk_statements(stmts):
        for target in _targets(node):
            for part in _flatten(target):
                if check.keyed:
                    if isinstance(part, cst.Subscript) and dotted_name(part.value) == check.state:
                        return node
                elif dotted_name(part) == check.state:
                    return node
        if check.keyed and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("setdefault", "update") and dotted_name(node.func.value) == check.state:
                return node
    return None


def first_call(node: cst.CSTNode) -> Optional[cst.Call]:
    """The first call in an assignment's value: the constructor a hook can hold."""
    value = getattr(node, "value", None)
    if value is None:
        return None
    for child in walk_statements([value]):
        if isinstance(child, cst.Call):
            return child
    return None
