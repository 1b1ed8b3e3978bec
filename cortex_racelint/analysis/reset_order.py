"""Happens-before for CRL404's resets and derived values: the method runs after every thread is joined.

A reset (`self.per_source = {}`) or a derived value races with the threads' updates only when it
can run while they do. It cannot when the object is a hand-over this module makes and the
method resetting it is called only after every thread given the object has been joined
(`install_all()`: start the workers, join them all, then `progress.drain()`): `join()` orders the
workers' last update before the reset. The model, exact or "not ordered":
- the project facts' paths to the object all start at thread entries in this module (fewer
  than three paths per method: the index keeps at most three, so more may be unseen);
- the module makes the class once, `x = Class(...)`, as a top-level statement of a module
  function F; every use of `x` in F is a method call on it, an argument of a thread start (a
  `Thread`, an executor's `submit`/`map`) whose target is a function of this module that only
  calls methods on that parameter, or the assignment itself: the object goes nowhere else;
- every thread start in F is ended by a top-level statement of F before each call of the
  method: `for t in <threads>: t.join()` / `<thread>.join()` without a timeout, or the end of
  `with ThreadPoolExecutor() as pool:`;
- the module names the method nowhere else but in those calls (`x.drain()` in F).
Otherwise the site stays a finding.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst

from .context import LintContext
from .names import dotted_name
from .thread_holders import kept_in, loop_alias
from .thread_syntax import thread_target
from .traverse import children

#: the index keeps at most this many paths per method (`project.join`): at it, more may be unseen
_PATHS_KEPT = 3


def ordered_after_joins(context: LintContext, class_node: cst.ClassDef, method: cst.FunctionDef, klass: dict) -> bool:
    """Whether every call of `method` runs after all threads given the object have been joined."""
    key = ("reset_ordered", id(method))
    if key not in context.memo:
        context.memo[key] = _ordered(context, class_node.name.value, method.name.value, klass)
    return context.memo[key]  # type: ignore[return-value]


def _ordered(context: LintContext, class_name: str, method: str, klass: dict) -> bool:
    if method in klass.get("methods", {}) or not _paths_start_here(context, klass):
        return False
    made = _made_once(context.module, class_name)
    if made is None:
        return False
    function, statement, name = made
    body = function.body.body  # type: ignore[union-attr]
    top = {id(stmt): index for index, stmt in enumerate(body)}
    starts: list[tuple[cst.Call, tuple[cst.CSTNode, ...]]] = []
    calls: list[int] = []  # top-level index of each `x.method()`
    for node, path in _tree(function.body, (function,)):
        if isinstance(node, cst.Name) and node.value == name:
            use = _use(context, path, statement, method)
            if use is None:
                return False
            if isinstance(use, tuple):
                starts.append(use)
            elif use == "call":
                calls.append(_top_index(path, top))
    if not starts or not calls or _other_mentions(context.module, method, len(calls)):
        return False
    ends = [_ended_at(start, path, body, top) for start, path in starts]
    return all(end is not None and end < min(calls) for end in ends) and top[id(statement)] < min(ends)  # type: ignore[operator]


def _tree(root: cst.CSTNode, prefix: tuple[cst.CSTNode, ...]) -> Iterator[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]:
    """Every node under `root` with its path (root included, after `prefix`), iteratively."""
    stack = [(root, (*prefix, root))]
    while stack:
        node, path = stack.pop()
        yield node, path
        stack.extend((child, (*path, child)) for child in reversed(list(children(node))))


def _paths_start_here(context: LintContext, klass: dict) -> bool:
    """Every recorded path starts at a thread entry of this file, and none may be missing."""
    here = context.path.replace("\\", "/")
    for facts in klass.get("methods", {}).values():
        paths = facts.get("paths", [])
        if not paths or len(paths) >= _PATHS_KEPT:
            return False
        for steps in paths:
            if not steps or steps[0][3].startswith("`") or not here.endswith(str(steps[0][0]).replace("\\", "/")):
                return False
    return True


def _made_once(module: cst.Module, class_name: str) -> Optional[tuple[cst.FunctionDef, cst.CSTNode, str]]:
    """(F, the statement, x) for the module's only `Class(...)`: `x = Class(...)` at the top of a module function."""
    found = [(node, path) for node, path in _tree(module, ()) if isinstance(node, cst.Call) and dotted_name(node.func) == class_name]
    if len(found) != 1:
        return None
    call, path = found[0]
    if len(path) != 6 or not isinstance(path[1], cst.FunctionDef) or not isinstance(path[-2], cst.Assign):
        return None
    function, line, assign = path[1], path[3], path[-2]
    if path[2] is not function.body or not isinstance(line, cst.SimpleStatementLine) or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    return (function, line, target.value) if isinstance(target, cst.Name) else None


def _use(context: LintContext, path: tuple[cst.CSTNode, ...], statement: cst.CSTNode, method: str):
    """How F uses `x` at path[-1]: "bind", "call" (`x.method()`), "other" (`x.m()`), a thread start
    `(call, path)` handing it on; None for anything else (stored, returned, passed elsewhere)."""
    parent = path[-2]
    if _not_a_reference(parent, path[-1]):
        return "other"
    if isinstance(parent, cst.AssignTarget):
        return "bind" if path[2] is statement else None
    if isinstance(parent, cst.Attribute) and parent.value is path[-1] and isinstance(path[-3], cst.Call) and path[-3].func is parent:
        if any(isinstance(step, (cst.Lambda, cst.FunctionDef)) for step in path[1:-1]):
            return None
        return "call" if parent.attr.value == method else "other"
    for index in range(len(path) - 2, 0, -1):
        step = path[index]
        if isinstance(step, cst.Call):
            found = thread_target(step, context.imports)
            if found is not None and _target_only_calls(context, found[1], step, path[-1], method):
                return step, path[: index + 1]
            return None
    return None


def _target_only_calls(context: LintContext, target: cst.BaseExpression, start: cst.Call, value: cst.CSTNode, method: str) -> bool:
    """The thread target is a function of this module whose parameter receiving the object only
    has methods other than `method` called on it (it hands the object no further)."""
    if not isinstance(target, cst.Name):
        return False
    defs = [s for s in context.module.body if isinstance(s, cst.FunctionDef) and s.name.value == target.value]
    if len(defs) != 1:
        return False
    position = _position(start, value)
    params = defs[0].params.params
    if position is None or position >= len(params):
        return False
    param = params[position].name.value
    for node, path in _tree(defs[0].body, (defs[0],)):
        if isinstance(node, cst.Name) and node.value == param:
            parent = path[-2]
            if _not_a_reference(parent, node):
                continue
            if not (isinstance(parent, cst.Attribute) and parent.value is node and isinstance(path[-3], cst.Call)):
                return False
            if parent.attr.value == method:
                return False
    return True


def _not_a_reference(parent: cst.CSTNode, name: cst.CSTNode) -> bool:
    """`a.x` (an attribute named x) or `f(x=...)` (a keyword): the name is no use of the variable."""
    return (isinstance(parent, cst.Attribute) and parent.attr is name) or (isinstance(parent, cst.Arg) and parent.keyword is name)


def _position(start: cst.Call, value: cst.CSTNode) -> Optional[int]:
    """The object's position among the target's arguments: `args=(x, ...)` or `submit(f, x, ...)`."""
    for arg in start.args:
        if arg.keyword is not None and arg.keyword.value == "args" and isinstance(arg.value, cst.Tuple):
            elements = [element.value for element in arg.value.elements]
            return next((i for i, element in enumerate(elements) if element is value), None)
    if isinstance(start.func, cst.Attribute) and start.func.attr.value == "submit":
        positional = [arg.value for arg in start.args if arg.keyword is None]
        return next((i - 1 for i, element in enumerate(positional) if element is value and i > 0), None)
    return None


def _top_index(path: Sequence[cst.CSTNode], top: dict[int, int]) -> int:
    return next(top[id(step)] for step in path if id(step) in top)


def _ended_at(start: cst.Call, path: tuple[cst.CSTNode, ...], body: Sequence[cst.CSTNode], top: dict[int, int]) -> Optional[int]:
    """The top-level index of F's statement after which the thread(s) of `start` have ended."""
    here = _top_index(path, top)
    for index in range(len(path) - 2, 0, -1):  # inside `with ThreadPoolExecutor() as pool:` at the top of F
        step = path[index]
        if isinstance(step, cst.With) and id(step) in top and isinstance(start.func, cst.Attribute):
            pools = {dotted_name(item.asname.name) for item in step.items if item.asname is not None}
            if dotted_name(start.func.value) in pools:
                return top[id(step)]
    holders = set(kept_in(start, path))
    if not holders:
        return None
    for index in range(here + 1, len(body)):
        if _joins(body[index], holders):
            return index
    return None


def _joins(stmt: cst.CSTNode, holders: set[str]) -> bool:
    """`for t in threads: t.join()` or `thread.join()`, without a timeout, as one statement."""
    alias = loop_alias(stmt, holders)
    if alias is not None:
        inner = stmt.body.body  # type: ignore[attr-defined]
        return len(inner) == 1 and _join_call(inner[0], {alias})
    return _join_call(stmt, holders)


def _join_call(stmt: cst.CSTNode, names: set[str]) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Expr):
        return False
    call = stmt.body[0].value
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "join"
        and not call.args
        and dotted_name(call.func.value) in names
    )


def _other_mentions(module: cst.Module, method: str, calls: int) -> bool:
    """The module names `method` (`.drain`, `drain`) more often than its def and the ordered calls."""
    seen, stack = 0, [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value == method:
            seen += 1
        elif isinstance(node, cst.Attribute) and node.attr.value == method:
            seen += 1
            stack.append(node.value)
            continue
        stack.extend(children(node))
    return seen > calls + 1  # the def's own name is a Name too
