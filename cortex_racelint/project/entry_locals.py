"""A container entry taken into a local first: `s = _STATS[KEY]; s.record()` is `_STATS[KEY].record()`.

`containers.py` follows a call made on a module container's entry with a key every caller shares.
The same entry is often named first (`stats = _STATS.setdefault("total", Stats())`, then several calls
on `stats`). The local names that one entry only when it is bound once in the function: a second
binding anywhere (a loop rebinding it, `for s in ...`, `with ... as s`, `del s`, a nested function's
`nonlocal s`) could make a call see another object, so its calls are dropped, as calls on any local are.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from .containers import MARK, shared_entry


class EntryLocals:
    """A function's locals naming a shared entry, and the `calls` rows made through them."""

    __slots__ = ("owners", "made")

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}  # local -> container (`_STATS`)
        self.made: list[tuple[str, list]] = []  # (local, the `calls` row of `local.m(...)`)


def note_assign(frame: Any, node: ast.Assign, constants: set[str]) -> None:
    """`s = X[KEY]` in a function: remember `s` as naming the entry (`frame.entry_locals`)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name) or frame.node is None:
        return
    name = node.targets[0].id
    if name in frame.declared or name in frame.bound:
        return  # `_assign` adds it to `bound` after this; already there: bound twice
    owner = shared_entry(node.value, constants, frame.bound)
    if owner is not None:
        if frame.entry_locals is None:
            frame.entry_locals = EntryLocals()
        frame.entry_locals.owners[name] = owner


def call_ref(func: ast.expr, frame: Any) -> Optional[list]:
    """`["n", "X[].m"]` for `s.m(...)` where `s` names a shared entry; None for any other call."""
    known = frame.entry_locals
    if known is None or not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    owner = known.owners.get(func.value.id)
    return ["n", f"{owner}{MARK}{func.attr}"] if owner is not None else None


def note_call(frame: Any, func: ast.expr, row: list) -> None:
    """The `calls` row just added for a call: kept for `settle` when it was made through an entry local."""
    if call_ref(func, frame) == row[:2]:
        frame.entry_locals.made.append((func.value.id, row))  # type: ignore[attr-defined]


def settle(frame: Any) -> None:
    """Drop the calls made through a local bound more than once in the function (counted on its `ast`)."""
    known = frame.entry_locals
    if known is None:
        return
    frame.entry_locals = None
    if not known.made:
        return
    counts = _bindings(frame.node, set(known.owners))
    wrong = {id(row) for name, row in known.made if counts.get(name, 0) != 1}
    if wrong:
        frame.info["calls"] = [c for c in frame.info["calls"] if id(c) not in wrong]


def _bindings(function: ast.AST, names: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in ast.walk(function):
        found: list[str] = []
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found = [node.id]
        elif isinstance(node, ast.arg):
            found = [node.arg]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found = list(node.names)
        elif isinstance(node, ast.alias):
            found = [(node.asname or node.name).split(".")[0]]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            found = [node.name]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found = [node.name]
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            found = [node.name]
        for name in found:
            if name in names:
                counts[name] = counts.get(name, 0) + 1
    return counts
