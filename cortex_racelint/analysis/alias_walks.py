"""Walks of a `self.<attr>` container through a local alias (`subs = self._subs`, then `for s in subs:`)
or through another object (`for k in self.state.data:` against `self.state.data[k] = v`).

The alias is the same object, so a step-by-step walk of it (`analysis.iteration_sites`: a loop, a
comprehension, `json.dump(subs, f)`) races a size change of `self._subs` as a walk of the attribute
does. Followed only where that is sound: the local is bound once in the method (the assignment
itself: no other binding anywhere in it, nested functions included), walked in the method's own
code (not in a nested def or lambda, which runs later), and the method never rebinds the attribute
(`batch = self.buf; self.buf = []` under a lock hands the old list to this thread alone). A copy (`list(subs)`, `dict(subs)`) is one C
call, not a walk, as for the attribute.

A container reached through another object the class keeps (`self.state.data`) is the same object on
every thread while `self.state` is not rebound: its walks and size changes (the same kinds as for
`self.<attr>`) are accesses of the pseudo-attribute `state.data`, for CRL405 only (a read of it or a
rebinding is not followed: the object's own class decides those).
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from .access_kinds import CONTENTS_RMW, ITERATE, MUTATE
from .iteration_sites import iteration_use
from .thread_syntax import _raw_kind
from .traverse import children

#: nodes whose `Name` child (climbing tuples and starred elements) binds the name
_BINDERS = (
    cst.AssignTarget, cst.AsName, cst.Del, cst.Param, cst.NameItem, cst.ImportAlias, cst.MatchAs, cst.MatchStar,
)
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def alias_of(path: Sequence[cst.CSTNode]) -> Optional[str]:
    """The local `x` when the `self.<attr>` node ending `path` is the whole value of `x = self.<attr>`."""
    node, parent = path[-1], path[-2] if len(path) >= 2 else None
    if not isinstance(parent, cst.Assign) or parent.value is not node or len(parent.targets) != 1:
        return None
    target = parent.targets[0].target
    return target.value if isinstance(target, cst.Name) else None


def alias_walks(path: Sequence[cst.CSTNode], memo: Optional[dict] = None) -> list[list[cst.CSTNode]]:
    """The paths (from the method, as `path`) to each step-by-step walk of the alias `path` binds, if the
    alias is bound once in the method; [] otherwise. `memo`: per method, its locals' bindings and walks
    (one walk of the method for all its aliases)."""
    name = alias_of(path)
    function = path[0]
    if name is None or not isinstance(function, cst.FunctionDef):
        return []
    memo = {} if memo is None else memo
    if id(function) not in memo:
        memo[id(function)] = _local_index(function)
    bindings, walks = memo[id(function)]
    return walks.get(name, []) if bindings.get(name) == 1 else []


def _local_index(function: cst.FunctionDef) -> tuple[dict[str, int], dict[str, list[list[cst.CSTNode]]]]:
    """How often each name is bound in the method (nested scopes included), and where each is walked
    step by step in the method's own code, in source order."""
    bindings: dict[str, int] = {}
    walks: dict[str, list[list[cst.CSTNode]]] = {}
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode], bool]] = [(function, [function], False)]
    while stack:
        node, at, nested = stack.pop()
        if isinstance(node, cst.Name):
            if _binds(at):
                bindings[node.value] = bindings.get(node.value, 0) + 1
            elif not nested and iteration_use(at) is not None:
                walks.setdefault(node.value, []).append(at)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not function:
            bindings[node.name.value] = bindings.get(node.name.value, 0) + 1
        for child in reversed(list(children(node))):  # source order
            stack.append((child, [*at, child], nested or isinstance(child, _NESTED)))
    return bindings, walks


def _binds(at: Sequence[cst.CSTNode]) -> bool:
    index = len(at) - 2
    while index > 0 and isinstance(at[index], (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        index -= 1
    owner, child = at[index], at[index + 1]
    if isinstance(owner, _BINDERS):
        return True
    if isinstance(owner, (cst.For, cst.CompFor)) and owner.target is child:
        return True
    if isinstance(owner, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr)) and owner.target is child:
        return True
    return False


def inner_container(path: Sequence[cst.CSTNode]) -> Optional[tuple[str, str]]:
    """(kind, `b`) when the `self.a` node ending `path` is walked or changes size as `self.a.b`
    (ITERATE, MUTATE or CONTENTS_RMW of `self.a.b`); None otherwise."""
    node, parent = path[-1], path[-2]
    if not isinstance(parent, cst.Attribute) or parent.value is not node or len(path) < 3:
        return None
    kind = _raw_kind(path[:-1])  # the kinds of `self.<attr>`, one level down
    return (kind, parent.attr.value) if kind in (ITERATE, MUTATE, CONTENTS_RMW) else None


def rebinds(function: cst.FunctionDef, self_name: str, attr: str, memo: dict) -> bool:
    """The method assigns `self.<attr>` anywhere (`self.buf = []`, `self.buf, x = ...`, `del self.buf`)."""
    key = ("rebinds", id(function))
    if key not in memo:
        found: set[str] = set()
        for node in _all_nodes(function):
            targets: list[cst.CSTNode] = []
            if isinstance(node, cst.AssignTarget):
                targets = [node.target]
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, cst.Del):
                targets = [node.target]
            while targets:
                target = targets.pop()
                if isinstance(target, (cst.Tuple, cst.List)):
                    targets.extend(e.value for e in target.elements)
                elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self_name:
                    found.add(target.attr.value)
        memo[key] = found
    return attr in memo[key]


def _all_nodes(root: cst.CSTNode):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))
