"""The summary's `acquire()`/`release()` regions: which statements of a function hold which lock.

`analysis.acquire_regions` on CPython's `ast`, so the index (calls made under a lock, updates
made holding one) and the rules (`analysis.locks`, LibCST) agree on every region. Every dotted
receiver of `acquire()`/`release()` is a candidate here, as for `with`: the summary keeps the
ones that are locks once its walk has seen every binding (`lock_names.py`). A timed acquire
holds where the lock's acquire raises on failure (`filelock`), as the caller tells.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Optional, Sequence

from ..analysis.acquire_regions import UNKNOWN, Regions, blocking, combine, held
from .entries import dotted

_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _never(name: str) -> bool:
    return False


def acquire_map(function: ast.AST, raises: Callable[[str], bool] = _never) -> dict[int, list[str]]:
    """id(statement) -> the candidate locks an acquire region holds there (only the statements holding one).

    `raises(name)`: the lock bound to `name` raises when its acquire fails (a timed acquire holds it)."""
    syntax = _AstSyntax(raises)
    regions: Regions[ast.stmt] = Regions(syntax)
    found: dict[int, list[str]] = {}
    stack: list[tuple[Sequence[ast.stmt], dict[str, int]]] = [(function.body, {})]  # type: ignore[attr-defined]
    while stack:
        body, outer = stack.pop()
        for stmt in body:
            here = combine(outer, regions.before(body, stmt))
            keys = held(here)
            if keys:
                found[id(stmt)] = keys
            if isinstance(stmt, _NESTED):
                continue  # runs later, without the lock
            guard = syntax.guard(stmt)
            for index, block in enumerate(syntax.blocks(stmt)):
                inner = combine(here, {guard[0]: 1}) if guard and guard[1] == "body" and index == 0 else here
                stack.append((block, inner))
    return found


class _AstSyntax:
    """`analysis.acquire_regions.Syntax` on `ast` statements."""

    def __init__(self, raises: Callable[[str], bool]) -> None:
        self.raises = raises

    def lock_calls(self, stmt: ast.stmt) -> Optional[list[tuple[str, str, bool]]]:
        if isinstance(stmt, ast.If):
            stmt = _presence_guarded(stmt)  # type: ignore[assignment]
            if stmt is None:
                return None
        elif isinstance(stmt, _COMPOUND):
            return None
        found = _lock_call(stmt.value, self.raises) if isinstance(stmt, ast.Expr) else None
        return [found] if found is not None else []

    def guard(self, stmt: ast.stmt) -> Optional[tuple[str, str]]:
        if not isinstance(stmt, (ast.If, ast.While)):
            return None
        test, negated = stmt.test, False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negated = test.operand, True
        found = _lock_call(test, self.raises)
        if found is None or found[1] != "acquire":
            return None
        if isinstance(stmt, ast.If):
            if not negated:
                return found[0], "body"
            return (found[0], "after") if not stmt.orelse and self.leaves(stmt.body[-1]) else None
        breaks = any(isinstance(n, ast.Break) for s in stmt.body for n in ast.walk(s))
        return (found[0], "after") if negated and not stmt.orelse and not breaks else None

    def try_parts(self, stmt: ast.stmt):
        if not isinstance(stmt, ast.Try):
            return None
        others = [h.body for h in stmt.handlers] + ([stmt.orelse] if stmt.orelse else [])
        return stmt.body, stmt.finalbody, others

    def blocks(self, stmt: ast.stmt) -> list[Sequence[ast.stmt]]:
        if isinstance(stmt, ast.If):
            return [stmt.body] + ([stmt.orelse] if stmt.orelse else [])
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return [stmt.body] + ([stmt.orelse] if stmt.orelse else [])
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            return [stmt.body]
        if isinstance(stmt, ast.Try):
            return [stmt.body, *(h.body for h in stmt.handlers), *(b for b in (stmt.orelse, stmt.finalbody) if b)]
        if isinstance(stmt, ast.Match):
            return [case.body for case in stmt.cases]
        return []

    def leaves(self, stmt: ast.stmt) -> bool:
        return isinstance(stmt, (ast.Return, ast.Raise))


def _lock_call(expr: ast.expr, raises: Callable[[str], bool] = _never) -> Optional[tuple[str, str, bool]]:
    """`(lock, verb, blocking)` for `x.acquire(...)` / `x.release()` on a dotted `x` (a candidate lock)."""
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return None
    verb = expr.func.attr
    name = dotted(expr.func.value) if verb in ("acquire", "release") else None
    if not name:
        return None
    if verb == "acquire" and raises(name):
        return name, verb, True  # returns holding it or raises
    args: list[tuple[Optional[str], Any]] = [(None, _literal(a)) for a in expr.args]
    args += [(k.arg, _literal(k.value)) if k.arg else (None, UNKNOWN) for k in expr.keywords]
    return name, verb, verb == "acquire" and blocking(args)


def _literal(expr: ast.expr) -> Any:
    if isinstance(expr, ast.Constant) and not isinstance(expr.value, (str, bytes)):
        return expr.value
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant):
        value = expr.operand.value
        return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else UNKNOWN
    return UNKNOWN


def _presence_guarded(node: ast.If) -> Optional[ast.Expr]:
    """The one-statement body of `if x is not None: x.acquire()` (or `if x: x.release()`), no `else`."""
    if node.orelse or len(node.body) != 1 or not isinstance(node.body[0], ast.Expr):
        return None
    call = node.body[0].value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) or call.func.attr not in ("acquire", "release"):
        return None
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if not (isinstance(test.ops[0], ast.IsNot) and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
            return None
        test = test.left
    subject = dotted(test)
    return node.body[0] if subject is not None and subject == dotted(call.func.value) else None
