"""Lazy-init sites that are not an `if`: the EAFP cache, the `match` on the state, and the
one-line `_x = _x or X()` / `_x = _x if _x is not None else X()`.

`try: return _c[k]` / `except KeyError: _c[k] = make(k)` has the same check-then-act window as
`if k not in _c:` (the failed read is the check), and `match _x: case None: _x = X()` is
`if _x is None:` spelt as a pattern; `_x = _x or X()` is `if not _x: _x = X()` in one line. Classified here, memoised like `classification`, so that
CRL101/102/105/107 each report only their own kind.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.asyncio_loops import loops_on_threads
from ...analysis.context import LintContext
from ...analysis.lazy_sites import LazyInitSite
from ...analysis.lazyinit import LazyCheck, find_creation, parse_lazy_check, walk_statements
from ...analysis.names import dotted_name
from ...fixes.double_checked_locking import missing_test
from .classification import lock_around, shared_kind, unguarded_here

#: what a failed dict read raises: a handler for one of these is the "missing" branch
_MISSING_ERRORS = frozenset({"KeyError", "LookupError"})


def lazy_try_site(context: LintContext, node: cst.Try) -> Optional[LazyInitSite]:
    """`try: <read C[K]> except KeyError: <fill C[...]>` on a shared dict (memoised)."""
    key = ("lazy_try_site", id(node))
    if key not in context.memo:
        context.memo[key] = _classify_try(context, node)
    return context.memo[key]  # type: ignore[return-value]


def _classify_try(context: LintContext, node: cst.Try) -> Optional[LazyInitSite]:
    probe = _single_read(node)
    if probe is None or node.orelse is not None:
        return None  # an `else:` runs only when the read succeeds: the re-read under the lock would skip it
    handler = next((h for h in node.handlers if _catches_missing(h)), None)
    if handler is None:
        return None
    cache = dotted_name(probe[1].value)
    if cache is None:
        return None
    check = LazyCheck(cache, True, keyed=True)
    kind = shared_kind(context, check)
    if kind is None or not unguarded_here(context, node):
        return None
    body = list(handler.body.body) if isinstance(handler.body, cst.IndentedBlock) else []
    creation = find_creation(body, check)
    if creation is None or lock_around(context, body, creation) is not None:
        return None  # filled under a lock: guarded (its re-read is the fix's, or the author's)
    return LazyInitSite(kind, check, creation, handler=handler, probe=probe[0])


def _single_read(node: cst.Try) -> Optional[tuple[cst.SimpleStatementLine, cst.Subscript]]:
    """The `try` body when it is one read of `C[K]`: `return C[K]` or `name = C[K]`, with a key
    that reading again has no effect (names, attributes, constants, tuples of them)."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    line = body.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    small = line.body[0]
    if isinstance(small, cst.Return):
        value = small.value
    elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        value = small.value
    else:
        return None
    if not isinstance(value, cst.Subscript) or len(value.slice) != 1:
        return None
    index = value.slice[0].slice
    if not isinstance(index, cst.Index) or not _pure(index.value):
        return None
    return line, value


def _pure(expr: cst.BaseExpression) -> bool:
    """Evaluating it again changes nothing and gives the same key (single-threaded)."""
    if isinstance(expr, (cst.Name, cst.BaseNumber, cst.SimpleString)):
        return True
    if isinstance(expr, cst.Attribute):
        return _pure(expr.value)
    if isinstance(expr, cst.Tuple):
        return all(not isinstance(e, cst.StarredElement) and _pure(e.value) for e in expr.elements)
    return False


def _catches_missing(handler: cst.ExceptHandler) -> bool:
    """`except KeyError:` / `except LookupError as e:` / `except (KeyError,):` (nothing else caught)."""
    if handler.type is None:
        return False
    types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return bool(types) and all(dotted_name(t) in _MISSING_ERRORS for t in types)


def lazy_match_site(context: LintContext, node: cst.Match) -> Optional[LazyInitSite]:
    """`match _x:` whose first case is `case None:` (no guard) and creates `_x` (memoised)."""
    key = ("lazy_match_site", id(node))
    if key not in context.memo:
        context.memo[key] = _classify_match(context, node)
    return context.memo[key]  # type: ignore[return-value]


def _classify_match(context: LintContext, node: cst.Match) -> Optional[LazyInitSite]:
    state = dotted_name(node.subject)
    if state is None or not node.cases:
        return None
    first = node.cases[0]
    pattern = first.pattern
    if first.guard is not None or not (isinstance(pattern, cst.MatchSingleton) and dotted_name(pattern.value) == "None"):
        return None
    check = LazyCheck(state, True)
    kind = shared_kind(context, check)
    if kind is None or kind in ("keyed", "metaclass") or not unguarded_here(context, node):
        return None
    body = list(first.body.body) if isinstance(first.body, cst.IndentedBlock) else []
    creation = find_creation(body, check)
    if creation is None or lock_around(context, body, creation) is not None:
        return None  # created under a lock: guarded (its re-match is the fix's, or the author's)
    return LazyInitSite(kind, check, creation, case=first)


def lazy_assign_site(context: LintContext, node: cst.SimpleStatementLine) -> Optional[LazyInitSite]:
    """`_x = _x or X()` / `_x = _x if _x is not None else X()` / `_x = X() if _x is None else _x`
    on a module global or closure variable (memoised)."""
    key = ("lazy_assign_site", id(node))
    if key not in context.memo:
        context.memo[key] = _classify_assign(context, node)
    return context.memo[key]  # type: ignore[return-value]


def _classify_assign(context: LintContext, node: cst.SimpleStatementLine) -> Optional[LazyInitSite]:
    if len(node.body) != 1 or not isinstance(node.body[0], cst.Assign) or len(node.body[0].targets) != 1:
        return None
    assign = node.body[0]
    target = assign.targets[0].target
    state = dotted_name(target) if isinstance(target, cst.Name) else None
    split = _split_default(assign.value, state) if state else None
    if split is None:
        return None
    missing, made = split
    check = LazyCheck(state, True)  # type: ignore[arg-type]
    # a name only: `cls._x = cls._x or X()` also stores an inherited value on the subclass, which the
    # `if` form would not
    if shared_kind(context, check) not in ("global", "closure") or not unguarded_here(context, node):
        return None
    if context.function is not None and context.function.asynchronous is not None and not _has_await(made):
        if not loops_on_threads(context):
            return None  # the loop runs it whole
    creation = cst.Assign(targets=[cst.AssignTarget(target=target.deep_clone())], value=made.deep_clone())
    return LazyInitSite(shared_kind(context, check) or "global", check, creation, missing_test=missing, made_in=assign)


def _split_default(value: cst.BaseExpression, state: str) -> Optional[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(the absence test, what is made when absent) of `state or made` / `state if <present> else made` /
    `made if <absent> else state`."""
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        if dotted_name(value.left) == state and not isinstance(value.right, cst.BooleanOperation):
            return cst.UnaryOperation(operator=cst.Not(), expression=cst.Name(state)), value.right
        return None
    if isinstance(value, cst.IfExp):
        check = parse_lazy_check(value.test)
        if check is None or check.state != state or check.keyed or check.alias:
            return None
        if not check.missing and dotted_name(value.body) == state:
            return missing_test(value.test), value.orelse
        if check.missing and dotted_name(value.orelse) == state:
            return value.test.deep_clone(), value.body
    return None


def _has_await(expr: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Await) for n in walk_statements([expr]))
