"""Whether a nested def or lambda runs later (a callback) or where it is called.

`LockAnalysis.locks_held` (and the project summary, `ast_runs_later`) asks it for a def or lambda written inside a `with lock:` (or an acquire
region): the lock around the definition is held when the body runs only if the body runs there.

- a lambda is a value: it runs later, wherever it is handed (`pool.submit(lambda: ...)`), unless it
  is called on the spot (`(lambda: ...)()`);
- a nested def that is decorated, or whose name is used as a value (passed, stored, returned) and
  never called by name in its scope, runs later;
- a method or a module-level function runs later (callable from anywhere);
- a nested def only called by name (`def one(): ...` then `one()`) runs where it is called: treated
  as running under the lock around its definition, as before. When it is both called there and
  handed on, it is treated the same way (held): reporting it would bring a fix that takes the lock
  inside it, and the direct call, already holding a plain Lock, would then block on itself.
"""

from __future__ import annotations

import ast
from typing import Optional, Sequence

import libcst as cst


def runs_later(path: Sequence[cst.CSTNode], index: int) -> bool:
    """`path[index]` is a def or lambda whose body `path[index + 1]` runs later, not where it is defined."""
    node = path[index]
    if isinstance(node, cst.Lambda):
        parent = path[index - 1] if index else None
        return not (isinstance(parent, cst.Call) and parent.func is node)
    if not isinstance(node, cst.FunctionDef):
        return False
    if node.decorators:
        return True
    scope = next((a for a in reversed(path[:index]) if isinstance(a, (cst.FunctionDef, cst.ClassDef, cst.Module))), None)
    if not isinstance(scope, cst.FunctionDef):
        return True  # a method, or a module-level function: callable from anywhere, later
    called, as_value = _uses(scope, node)
    return as_value and not called


def _uses(scope: cst.CSTNode, function: cst.FunctionDef) -> tuple[bool, bool]:
    """(called by name, used as a value) for `function`'s name in `scope`, its definition excluded."""
    name = function.name.value
    called = as_value = False
    stack: list[tuple[cst.CSTNode, cst.CSTNode]] = [(child, scope) for child in scope.children]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, cst.Name) and node.value == name and node is not function.name:
            if isinstance(parent, cst.Call) and parent.func is node:
                called = True
            elif not _not_a_load(node, parent):
                as_value = True
            continue
        stack.extend((child, node) for child in node.children)
    return called, as_value


def _not_a_load(node: cst.Name, parent: cst.CSTNode) -> bool:
    """The name is an attribute, a keyword, a parameter, a definition's name or an import: not the def."""
    if isinstance(parent, cst.Attribute):
        return parent.attr is node
    if isinstance(parent, cst.Arg):
        return parent.keyword is node
    return isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName))


def ast_runs_later(function: ast.AST, scope: Optional[ast.AST]) -> bool:
    """`runs_later` for the project summary's `ast` walk: `function` (a nested def) in `scope` (the
    enclosing def, or None at module level)."""
    if getattr(function, "decorator_list", None) or not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True  # decorated, a method, or a module-level function: callable from anywhere, later
    stack, direct = list(ast.iter_child_nodes(scope)), False
    while stack and not direct:  # a method of a class made in `scope` is not a nested def of it
        node = stack.pop()
        direct = node is function
        if not isinstance(node, ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))
    if not direct:
        return True
    name = function.name  # type: ignore[attr-defined]
    called = as_value = False
    calls = {id(n.func) for n in ast.walk(scope) if isinstance(n, ast.Call)}
    for node in ast.walk(scope):
        if isinstance(node, ast.Name) and node.id == name:
            if id(node) in calls:
                called = True
            elif isinstance(node.ctx, ast.Load):
                as_value = True
    return as_value and not called
