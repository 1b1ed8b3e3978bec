"""The other calls a model drives besides the racing function. The caller a certificate also drives: a function of the same module (or method of the same class) that
calls the racing one, preferably while holding a lock.

A fix's lock can deadlock through a caller even when two threads calling the racing function never do:
`bump()` holds `_lock` and calls `get()`, whose fix takes `_lock` again (a plain Lock: the holder blocks on
itself). The certificate explores the pair (racing function, caller) too, so that cycle is found.
A read-only method on a shared SQLite connection races with a method writing through it (`find_writer`).
"""

from __future__ import annotations

import ast
import re
from typing import Optional


def _calls(node: ast.AST, name: str, through_self: bool) -> tuple[bool, bool]:
    """(calls `name`, calls it inside a `with` block) within `node`."""
    found = locked = False
    stack: list[tuple[ast.AST, bool]] = [(node, False)]
    while stack:
        current, under_with = stack.pop()
        if isinstance(current, ast.Call):
            func = current.func
            if through_self:
                hit = isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name) \
                    and func.value.id in ("self", "cls")
            else:
                hit = isinstance(func, ast.Name) and func.id == name
            if hit:
                found, locked = True, locked or under_with
        if current is not node and isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            under_with = False  # a nested def runs when called, not under the `with` around it
        inner = under_with or isinstance(current, (ast.With, ast.AsyncWith))
        stack.extend((child, inner) for child in ast.iter_child_nodes(current))
    return found, locked


def _candidates(body: list[ast.stmt], name: str, through_self: bool) -> list[tuple[bool, str]]:
    found = []
    for node in body:
        if isinstance(node, ast.FunctionDef) and node.name not in (name, "__init__", "__new__"):
            calls, locked = _calls(node, name, through_self)
            if calls:
                found.append((not locked, node.name))  # callers holding a lock first
    return sorted(found)


def _inheriting(tree: ast.Module, owner: str, name: str) -> Optional[str]:
    """`Sub.name` for a subclass in the module that inherits `name`: the method runs with `cls` bound to it,
    and the subclass's own code (its constructor) may call back into the base while the lock is held."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == owner for b in node.bases):
            if not any(isinstance(item, ast.FunctionDef) and item.name == name for item in node.body):
                return f"{node.name}.{name}"
    return None


def find_caller(tree: ast.Module, qualified: str) -> Optional[str]:
    """`Class.method` or `function` calling `qualified` in the same class or module (else a subclass
    inheriting the method), or None."""
    if "." in qualified:
        owner, name = qualified.split(".", 1)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == owner:
                candidates = _candidates(node.body, name, through_self=True)
                if candidates:
                    return f"{owner}.{candidates[0][1]}"
        return _inheriting(tree, owner, name)
    candidates = _candidates(tree.body, qualified, through_self=False)
    return candidates[0][1] if candidates else None


_WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _writes_sql(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _WRITE_SQL.match(n.value) for n in ast.walk(node))


def _uses(node: ast.AST, attr: str) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.value, ast.Name) and n.value.id == "self"
               for n in ast.walk(node))


def find_writer(tree: ast.Module, qualified: str, attr: str) -> Optional[str]:
    """For a method that only reads through the shared connection `self.<attr>`: a method of the same class
    writing through it, the other side of its race (it reads the writer's uncommitted rows). None if the
    method writes itself (two calls of it race already) or no writer exists."""
    owner, name = qualified.split(".", 1)
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == owner):
            continue
        methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
        if name not in methods or _writes_sql(methods[name]):
            return None
        for method in methods.values():
            if method.name not in (name, "__init__") and _uses(method, attr) and _writes_sql(method):
                return f"{owner}.{method.name}"
    return None
