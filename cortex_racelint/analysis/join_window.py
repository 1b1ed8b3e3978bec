"""Code between a thread's join and its next start: nothing of that thread runs meanwhile.

pyserial miniterm `change_port()` runs on the writer thread: `self._stop_reader()` joins the
reader (`self.receiver_thread.join()`), then `self.serial = new_serial`, then
`self._start_reader()` starts a new reader. The swap cannot overlap any reader, although both
sides are threads (the caller-side "after the join" order of `analysis.thread_starts` does not
apply to a pair of threads).

An entry's *joiners*: methods with a top-level `self.<holder>.join()` (no timeout: a timed join
may return while the thread runs) of the attribute its starts keep it in, with no `return`
before it; and, transitively, methods with a top-level `self.<joiner>()` call on the same terms.
Its *starters*: the methods that start it, and their callers (transitively).

A *window* is the statements after a joiner call (or the join itself) in the same block, up to
the first one that could start the entry again (it names a starter, or calls any `.start()`).
Only the innermost block counts (after an `if` that joins on one branch nothing is known), and
only for a single-instance entry kept in attributes no other entry uses, run from a
single-instance thread or the caller.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import libcst as cst

from .thread_syntax import _walk


def join_windows(
    regions: Mapping, entries: Mapping, holders: Mapping[str, set[str]], starters: Mapping[str, Iterable[str]], calls: Sequence
) -> dict[str, list[tuple[str, set[int]]]]:
    """Per entry: (region, ids of statements in a window between a join and the next start)."""
    callers: dict[str, set[str]] = {}
    for call in calls:
        callers.setdefault(call.callee, set()).add(call.region)
    found: dict[str, list[tuple[str, set[int]]]] = {}
    shared = {h for entry, kept in holders.items() for other, more in holders.items() if other != entry for h in kept & more}
    for entry, kept in holders.items():
        if entry not in entries or entries[entry].multi:
            continue
        # an attribute that also keeps another entry's thread: its join may join that one
        attrs = {h.partition(".")[2] for h in kept if h.startswith("self.") and h not in shared}
        if not attrs:
            continue
        starting = _closure(set(starters.get(entry, ())), callers)
        joiners = _joiners(regions, attrs, starting)
        for region in regions.values():
            if "<locals>" in region.name:
                continue
            for node, path in _walk(region.function.body, [region.function], set()):
                if isinstance(node, cst.Call) and _joins(node, region.self_name, attrs, joiners):
                    ids = _window(list(path), region.self_name, starting)
                    if ids:
                        found.setdefault(entry, []).append((region.name, ids))
    return found


def _closure(names: set[str], callers: Mapping[str, set[str]]) -> set[str]:
    stack = list(names)
    while stack:
        for caller in callers.get(stack.pop(), ()):
            if caller not in names:
                names.add(caller)
                stack.append(caller)
    return names


def _joins(call: cst.Call, self_name: str, attrs: set[str], joiners: set[str]) -> bool:
    """`self.<holder>.join()` without a timeout, or `self.<joiner>()`."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "join" and not call.args:
        receiver = func.value
        return isinstance(receiver, cst.Attribute) and _is_self(receiver.value, self_name) and receiver.attr.value in attrs
    return _is_self(func.value, self_name) and func.attr.value in joiners


def _joiners(regions: Mapping, attrs: set[str], starting: set[str]) -> set[str]:
    joiners: set[str] = set()
    changed = True
    while changed:
        changed = False
        for region in regions.values():
            if region.name in joiners or region.name in starting or "<locals>" in region.name:
                continue
            for statement in region.function.body.body:
                if _has(statement, cst.Return):
                    break
                call = _statement_call(statement)
                if call is not None and _joins(call, region.self_name, attrs, joiners):
                    joiners.add(region.name)
                    changed = True
                    break
    return joiners


def _statement_call(statement: cst.CSTNode):
    """The call a bare expression statement makes (`self._stop()`), if that is all it does."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        expr = statement.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
            return expr.value
    return None


def _window(path: list[cst.CSTNode], self_name: str, starting: set[str]) -> set[int]:
    """Statements after the join's statement in its block, up to a possible restart."""
    if len(path) < 4 or not isinstance(path[-4], cst.IndentedBlock) or _statement_call(path[-3]) is not path[-1]:
        return set()  # only a bare `self._stop()` / `t.join()` statement
    if any(isinstance(step, (cst.FunctionDef, cst.Lambda)) for step in path[1:-1]):
        return set()
    block, statement = path[-4], path[-3]
    ids: set[int] = set()
    seen = False
    for sibling in block.body:
        if seen:
            if _may_start(sibling, self_name, starting):
                break
            ids.add(id(sibling))
        elif sibling is statement:
            seen = True
    return ids


def _may_start(statement: cst.CSTNode, self_name: str, starting: set[str]) -> bool:
    for node, _ in _walk(statement, [], set()):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return True  # runs later, anywhere
        if isinstance(node, cst.Attribute):
            if node.attr.value == "start" or (_is_self(node.value, self_name) and node.attr.value in starting):
                return True
    return False


def _has(statement: cst.CSTNode, kind: type) -> bool:
    return any(isinstance(node, kind) for node, _ in _walk(statement, [], set()))


def _is_self(node: cst.BaseExpression, self_name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == self_name


def paused_entries(windows: Mapping[str, Sequence[tuple[str, set[int]]]], region: str, path: Sequence[cst.CSTNode]) -> frozenset[str]:
    """The entries whose window holds the access at `path` in `region`."""
    return frozenset(
        entry for entry, sites in windows.items() for name, ids in sites if name == region and any(id(n) in ids for n in path)
    )
