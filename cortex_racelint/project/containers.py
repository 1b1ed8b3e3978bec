"""Objects kept in module-level containers that threads index: `_STATS[key].record()`.

A module global bound to a container (`_STATS: dict[str, Stats] = {}`, `defaultdict(Stats)`,
`[Worker() for _ in range(4)]`) holds instances of a class the module stores in it
(`_STATS[k] = Stats()`, `_STATS.setdefault(k, Stats())`, `_WORKERS.append(Worker())`). Threads
share one entry when they can use the same key, and the index knows names, not values, so it
counts a call through the container as reaching a shared object only where the key is the same
for every caller:

- shared: a literal (`_STATS["total"]`), a module constant (`_STATS[DEFAULT]`, bound once at
  module level to a literal and not rebound in the function), or a tuple of these;
- not shared (not reported): anything computed per call or per thread: a parameter (each
  thread's argument), a local, a loop variable, `threading.get_ident()`, an expression. Two
  threads may still get the same value (two URLs of one host); the index cannot show it, so it
  stays silent there rather than guess.

`_STATS[KEY].record()` becomes the call ref `["n", "_STATS[].record"]`, which the join resolves
to the element class's method with the container as the shared object (`join._Graph`).
"""

from __future__ import annotations

import ast
from typing import Optional

from .entries import dotted

#: calls making an empty container, and `defaultdict(C)` whose factory is the element class
_EMPTY = frozenset({"dict", "list", "OrderedDict", "collections.OrderedDict"})
_DEFAULTDICT = frozenset({"defaultdict", "collections.defaultdict"})
#: methods returning the entry for a key (`X.setdefault(k, C())`, `X.get(k)`)
_KEYED_GETTERS = frozenset({"setdefault", "get"})
#: methods storing an instance into the container (`X.append(C())`, `X.setdefault(k, C())`)
_STORERS = frozenset({"append", "setdefault", "insert"})
#: the text marking a call made on a container's entry
MARK = "[]."


def container_class(value: ast.expr) -> Optional[str]:
    """For a module-level binding: "" for an empty container (its class comes from the stores), the
    element class as written for `defaultdict(C)`, `[C() for ...]`, `{k: C() for ...}`; None otherwise."""
    if isinstance(value, ast.Dict) and not value.keys or isinstance(value, ast.List) and not value.elts:
        return ""
    if isinstance(value, (ast.ListComp, ast.DictComp)):
        element = value.elt if isinstance(value, ast.ListComp) else value.value
        return dotted(element.func) if isinstance(element, ast.Call) else None
    if isinstance(value, ast.Call):
        name = dotted(value.func) or ""
        if name in _EMPTY and not value.args and not value.keywords:
            return ""
        if name in _DEFAULTDICT and value.args:
            return dotted(value.args[0])
    return None


def stored_class(node: ast.AST) -> Optional[tuple[str, str]]:
    """(container, class as written) for `X[k] = C(...)` (an Assign) or `X.append(C(...))`,
    `X.setdefault(k, C(...))` (a Call); None otherwise."""
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                called = dotted(node.value.func)
                return (target.value.id, called) if called else None
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STORERS:
        owner = node.func.value
        made = node.args[-1] if node.args else None
        if isinstance(owner, ast.Name) and isinstance(made, ast.Call):
            called = dotted(made.func)
            return (owner.id, called) if called else None
    return None


def keyed_ref(func: ast.Attribute, constants: set[str], bound: set[str]) -> Optional[list]:
    """`["n", "X[].m"]` for `X[key].m` / `X.setdefault(key, ...).m` / `X.get(key).m` with a key every
    caller shares; None for any other call (a per-thread key included)."""
    name = shared_entry(func.value, constants, bound)
    return ["n", f"{name}{MARK}{func.attr}"] if name is not None else None


def shared_entry(entry: ast.expr, constants: set[str], bound: set[str]) -> Optional[str]:
    """The container (`_STATS`, `stats._STATS`) of `X[key]` / `X.setdefault(key, ...)` / `X.get(key)` with a
    key every caller shares; None otherwise."""
    if isinstance(entry, ast.Subscript):
        owner, key = entry.value, entry.slice
    elif (
        isinstance(entry, ast.Call) and isinstance(entry.func, ast.Attribute)
        and entry.func.attr in _KEYED_GETTERS and entry.args
    ):
        owner, key = entry.func.value, entry.args[0]
    else:
        return None
    name = dotted(owner)  # `_STATS`, or `stats._STATS` in another module
    if name is None or name.split(".")[0] in bound or not shared_key(key, constants, bound):
        return None
    return name


def shared_key(key: ast.expr, constants: set[str], bound: set[str]) -> bool:
    """The same value for every caller: a literal, a module constant not rebound locally, a tuple of these."""
    if isinstance(key, ast.Constant):
        return True
    if isinstance(key, ast.Name):
        return key.id in constants and key.id not in bound
    if isinstance(key, ast.Tuple):
        return all(shared_key(element, constants, bound) for element in key.elts)
    return False


def head(text: str) -> str:
    """The name a call ref starts with: `_STATS` for `_STATS[].record`, `stats` for `stats._STATS[].record`."""
    return text.split(".")[0].removesuffix("[]")
