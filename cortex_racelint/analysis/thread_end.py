"""Reads made once a thread is known to have ended: ordered after everything it wrote.

`Thread.is_alive()` is False once `run()` returned (or before the start, when the thread wrote
nothing yet), so code that runs only when it is False cannot overlap the thread's accesses.
invoke's `ExceptionHandlingThread.is_dead`: `return not self.is_alive() and self.exc_info is not
None`, with `run()` setting `exc_info`. The guarded code is:

* the right operand of an `and` whose left operand is `not <thread>.is_alive()`;
* the body of `if not <thread>.is_alive():`, the `else` of `if <thread>.is_alive():`, and the
  statements after `if <thread>.is_alive(): return|raise ...` in the same block.

`<thread>` is one thread of that entry: a `Thread` subclass's own `self` (its `run()`), or the
`self.<attr>` the only starts of a single-instance entry keep it in (`self._thread`). For such a
holder, guarded statements stop at the first one that could start a new thread (a call of
`self.<method>()` or of any `.start()`, or one naming the holder again): after it the old
thread's end says nothing. A `Thread` subclass cannot be restarted. A `join()` is modelled
elsewhere (`analysis.thread_starts`).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

import libcst as cst

from .thread_syntax import _walk

_ALIVE = ("is_alive", "isAlive")
_EXITS = (cst.Return, cst.Raise)


def ended_sites(regions: Mapping, entries: Mapping, holders: Mapping[str, set[str]], subclass: bool) -> dict[str, list[tuple[str, set[int]]]]:
    """Per entry: (region, ids of nodes that run only once that entry's thread ended)."""
    owner = _holder_owners(entries, holders)
    found: dict[str, list[tuple[str, set[int]]]] = {}
    for region in regions.values():
        if "<locals>" in region.name:
            continue
        for node, path in _walk(region.function.body, [region.function], set()):
            entry, holder = _alive_call(node, region.self_name, owner, subclass and "run" in entries)
            if entry is None:
                continue
            ids = _guarded(list(path), region.self_name, holder)
            if ids:
                found.setdefault(entry, []).append((region.name, ids))
    return found


def _holder_owners(entries: Mapping, holders: Mapping[str, set[str]]) -> dict[str, str]:
    """`attr` -> entry, for holders of exactly one single-instance entry."""
    count: dict[str, list[str]] = {}
    for entry, kept in holders.items():
        for holder in kept:
            count.setdefault(holder.partition(".")[2], []).append(entry)
    return {
        attr: names[0]
        for attr, names in count.items()
        if len(names) == 1 and names[0] in entries and not entries[names[0]].multi and entries[names[0]].kind in ("thread", "nested")
    }


def _alive_call(node: cst.CSTNode, self_name: str, owner: Mapping[str, str], subclass: bool) -> tuple[Optional[str], Optional[str]]:
    """(entry, holder attr or None) of `self.is_alive()` / `self.<holder>.is_alive()`."""
    if not (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and node.func.attr.value in _ALIVE):
        return None, None
    receiver = node.func.value
    if isinstance(receiver, cst.Name) and receiver.value == self_name:
        return ("run", None) if subclass else (None, None)
    if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == self_name:
        entry = owner.get(receiver.attr.value)
        return (entry, receiver.attr.value) if entry else (None, None)
    return None, None


def _guarded(path: list[cst.CSTNode], self_name: str, holder: Optional[str]) -> set[int]:
    call = path[-1]
    parent = path[-2]
    negated = isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not) and parent.expression is call
    index = len(path) - (2 if negated else 1)
    ids: set[int] = set()
    if negated:
        current = path[index]
        # climb through `and`s: `a and not alive and b` guards `b`; an `or` guards nothing
        while index >= 1 and _is_and(path[index - 1]):
            operation = path[index - 1]
            if operation.left is current:  # type: ignore[attr-defined]
                ids.add(id(operation.right))  # type: ignore[attr-defined]
            current = operation
            index -= 1
        statement = path[index - 1] if index >= 1 else None
        if isinstance(statement, cst.If) and statement.test is current:
            ids |= _until_restart(statement.body.body, self_name, holder)
        return ids
    statement = path[index - 1] if index >= 1 else None
    if not (isinstance(statement, cst.If) and statement.test is call):
        return ids
    if isinstance(statement.orelse, cst.Else):
        ids |= _until_restart(statement.orelse.body.body, self_name, holder)
    elif statement.orelse is None and _exits(statement.body):
        block = path[index - 2] if index >= 2 else None
        if isinstance(block, cst.IndentedBlock):
            after = list(block.body)[list(block.body).index(statement) + 1 :]
            ids |= _until_restart(after, self_name, holder)
    return ids


def _is_and(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And)


def _exits(block: cst.BaseSuite) -> bool:
    body = list(block.body)
    last = body[-1] if body else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], _EXITS)


def _until_restart(statements: Sequence[cst.CSTNode], self_name: str, holder: Optional[str]) -> set[int]:
    if holder is None:
        return {id(s) for s in statements}  # a Thread subclass runs once
    ids = set()
    for statement in statements:
        if _may_restart(statement, self_name, holder):
            break
        ids.add(id(statement))
    return ids


def _may_restart(statement: cst.CSTNode, self_name: str, holder: str) -> bool:
    for node, _ in _walk(statement, [], set()):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self_name:
            if node.attr.value == holder:
                return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value == "start" or _is_self(node.func.value, self_name):
                return True
    return False


def _is_self(node: cst.BaseExpression, self_name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == self_name


def merge(ordered: dict, found: Mapping[str, Iterable[tuple[str, set[int]]]]) -> None:
    for entry, sites in found.items():
        ordered.setdefault(entry, []).extend(sites)
