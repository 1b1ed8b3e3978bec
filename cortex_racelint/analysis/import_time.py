"""A lazy global whose accessor runs at import: set once, under the import lock, before threads.

`get_recorder()` called by a top-level statement of its own module (`recorder =
get_recorder()`), or of another module of the project (the `import_time` project fact,
`project/import_time.py`), has made the global by the time the module is imported; module
code runs once, under the import lock. It holds only while no other function of the module
assigns the global (a `reset()` re-opens the window). Missed: a thread calling the accessor
before the module that calls it at import is imported.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .context import LintContext
from .traverse import node_types

_UNCONDITIONAL = (cst.Expr, cst.Assign, cst.AnnAssign, cst.AugAssign)


def initialised_at_import(context: LintContext, function: cst.FunctionDef, state: str) -> Optional[str]:
    """Why the module function `function`'s global `state` is set at import, or None."""
    key = ("initialised_at_import", id(function), state)
    if key not in context.memo:
        context.memo[key] = _reason(context, function, state)
    return context.memo[key]  # type: ignore[return-value]


def _reason(context: LintContext, function: cst.FunctionDef, state: str) -> Optional[str]:
    body = context.module.body
    if not any(stmt is function for stmt in body):
        return None
    key = ("global_writers", id(context.module))
    if key not in context.memo:  # one walk of the module for all its lazy sites, not one each
        context.memo[key] = _global_writers(context.module)
    if any(writer is not function for writer in context.memo[key].get(state, ())):  # type: ignore[union-attr]
        return None
    name = function.name.value
    facts = context.project_facts.get("import_time", {}) if context.config.project_facts else {}
    if name in facts:
        return facts[name]
    after = body[next(i for i, stmt in enumerate(body) if stmt is function) + 1 :]
    for stmt in after:
        if isinstance(stmt, cst.SimpleStatementLine) and any(
            isinstance(small, _UNCONDITIONAL) and _calls(small, name) for small in stmt.body
        ):
            return "called at import of this module"
    return None


def _calls(node: cst.CSTNode, name: str) -> bool:
    """`name(...)` runs when the statement does (not inside a lambda or a generator)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Lambda, cst.GeneratorExp)):
            continue
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Name) and current.func.value == name:
            return True
        stack.extend(current.children)
    return False


def _global_writers(module: cst.Module) -> dict[str, list[cst.FunctionDef]]:
    """global name -> the functions (nested ones too) that declare `global name` and assign (or
    delete) it: a function other than the accessor among them re-opens the window. Definitions,
    `global` statements and assignments are all statements: the walk never enters an expression."""
    writers: dict[str, list[cst.FunctionDef]] = {}
    for node in _statements(module, True):
        if not isinstance(node, cst.FunctionDef):
            continue
        declared = {item.name.value for stmt in _statements(node, False) if isinstance(stmt, cst.Global) for item in stmt.names}
        if not declared:
            continue
        assigned: set[str] = set()
        for stmt in _statements(node, True):
            if isinstance(stmt, cst.Assign):
                targets = [target.target for target in stmt.targets]
            elif isinstance(stmt, (cst.AugAssign, cst.AnnAssign, cst.Del)):
                targets = [stmt.target]
            else:
                continue
            for target in targets:
                assigned.update(n.value for n in _names(target) if isinstance(n, cst.Name))
        for state in declared & assigned:
            writers.setdefault(state, []).append(node)
    return writers


#: the fields holding statements (suites, `else`, handlers, `finally`, match cases)
_SUITES = ("body", "orelse", "handlers", "finalbody", "cases")
#: exact types for the walk below (LibCST's node classes are ABCs, slow to `isinstance`)
_NODES = node_types(cst.CSTNode)
_DEFS = frozenset({cst.FunctionDef, cst.ClassDef})


def _statements(root: cst.CSTNode, into_defs: bool) -> list[cst.CSTNode]:
    """Every statement and small statement under `root` (and the blocks holding them), entering
    nested function and class definitions only when `into_defs`."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [root]
    while stack:
        current = stack.pop()
        if current is not root:
            found.append(current)
            if not into_defs and type(current) in _DEFS:
                continue
        for name in _SUITES:
            value = getattr(current, name, None)
            if value is None:
                continue
            if type(value) in _NODES:
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(value)
    return found


def _names(target: cst.CSTNode) -> list[cst.CSTNode]:
    found, stack = [], [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.append(node)
        elif isinstance(node, (cst.Tuple, cst.List, cst.StarredElement, cst.Element)):
            stack.extend(node.children)
    return found
