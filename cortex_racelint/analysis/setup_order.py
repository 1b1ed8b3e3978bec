"""Happens-before through set-up methods, and the starts that do not order anything.

`analysis.threads` records, per thread entry, the statements that run before the thread is
started or after it is joined ("ordered sites": (method, ids of statements)). This module
widens and narrows that set on the class's own call graph:

* **set-up methods**: a method the class itself calls only at ordered sites (cheroot's
  `safe_start()` runs `self.prepare()` then `self.serve()`, which starts the thread), or
  only from `__init__` (ipython's debugger `pt_init()`), or only before a direct call of the
  entry's own method, runs before the thread: its accesses are ordered with that entry.
  Transitively: a method called only from set-up methods is set-up too. A method handed on
  as a callback is never set-up (it runs whenever the code it is given to calls it);
* **re-runnable starters**: statements before `start()` are ordered only when the starting
  method cannot run again while the thread lives. When the thread itself reaches the
  starting method (a re-armed `Timer`), or the class calls it in a loop, its ordered sites
  are dropped and the race stays reported.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import libcst as cst

from .traverse import children

#: methods that run before the object is shared
INIT_LIKE = frozenset({"__init__", "setUp", "asyncSetUp"})

_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)

Sites = list[tuple[str, set[int]]]


def _in_loop(path: Sequence[cst.CSTNode]) -> bool:
    return any(isinstance(node, _LOOPS) for node in path[1:-1])


def rerunnable_starters(
    starters: Mapping[str, Iterable[str]],
    contexts: Mapping[str, frozenset[str]],
    call_sites: Iterable[tuple[str, str, Sequence[cst.CSTNode], bool]],
) -> dict[str, set[str]]:
    """Per entry, the methods that start it and can run again while it lives."""
    looped = {callee for callee, _, path, callback in call_sites if not callback and _in_loop(path)}
    result: dict[str, set[str]] = {}
    for entry, regions in starters.items():
        for region in regions:
            if entry in contexts.get(region, frozenset()) or region in looped:
                result.setdefault(entry, set()).add(region)
    return result


def setup_methods(
    entries: Iterable[str],
    ordered: Mapping[str, Sites],
    call_sites: Sequence[tuple[str, str, Sequence[cst.CSTNode], bool]],
    methods: Iterable[str],
) -> dict[str, set[str]]:
    """Per method, the entries it is set-up for (every in-class call of it is ordered with them).

    `call_sites` holds (callee, calling region, path from the caller's FunctionDef to the
    call, handed-on-as-callback).
    """
    by_callee: dict[str, list[tuple[str, Sequence[cst.CSTNode], bool]]] = {}
    for callee, caller, path, callback in call_sites:
        by_callee.setdefault(callee, []).append((caller, path, callback))
    entry_names = set(entries)
    # a direct, inline call of an entry's own method: what precedes it sets that entry up
    inline: dict[str, Sites] = {}
    for callee, caller, path, callback in call_sites:
        if callee in entry_names and not callback:
            inline.setdefault(callee, []).append((caller, _before_ids(path)))
    result: dict[str, set[str]] = {}
    for entry in entry_names:
        sites = list(ordered.get(entry, ())) + inline.get(entry, [])
        setup: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name in methods:
                if name in setup or name in entry_names or name in INIT_LIKE or name not in by_callee:
                    continue
                uses = by_callee[name]
                if all(not cb and _ordered_call(caller, path, sites, setup) for caller, path, cb in uses):
                    setup.add(name)
                    changed = True
        for name in setup:
            result.setdefault(name, set()).add(entry)
    return result


def _ordered_call(caller: str, path: Sequence[cst.CSTNode], sites: Sites, setup: set[str]) -> bool:
    if caller in setup:
        return True
    if caller in INIT_LIKE and not any(region == caller for region, _ in sites):
        return True  # construction that starts no thread of this entry
    for region, ids in sites:
        if region != caller:
            continue
        for index, node in enumerate(path):
            if id(node) in ids:
                return not _exits_first(path[index + 1 :])
    return False


def _exits_first(path: Sequence[cst.CSTNode]) -> bool:
    """The call sits in a branch that leaves before the start (`if running: self.update(); return`):
    it does not run before the thread, it runs instead of starting it (while it may run)."""
    for index, node in enumerate(path[:-1]):
        if isinstance(node, cst.IndentedBlock):
            child = path[index + 1]
            tail = node.body[next((i for i, s in enumerate(node.body) if s is child), len(node.body)) :]
            for stmt in tail:
                if isinstance(stmt, cst.SimpleStatementLine) and any(
                    isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for small in stmt.body
                ):
                    return True
    return False


def _before_ids(path: Sequence[cst.CSTNode]) -> set[int]:
    """Statements before the call at the end of `path`, in every enclosing block not in a loop."""
    ids: set[int] = set()
    loop_depth = max((i for i, node in enumerate(path[:-1]) if isinstance(node, _LOOPS)), default=-1)
    for index, node in enumerate(path[:-1]):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) and index > 0:
            return set()  # a nested function runs whenever it is called
        if isinstance(node, cst.IndentedBlock) and index > loop_depth:
            child = path[index + 1]
            for stmt in node.body:
                if stmt is child:
                    break
                ids.add(id(stmt))
    return ids


def subclass_init_helpers(module: cst.Module, class_node: cst.ClassDef, private: Iterable[str]) -> set[str]:
    """Private methods of `class_node` that the module calls only as `self.m()` in the `__init__`
    of a subclass (ipython's `BackgroundJobBase._init()`): construction, like `__init__` itself."""
    wanted = set(private)
    if not wanted:
        return set()
    base = class_node.name.value
    seen: dict[str, bool] = {}  # name -> every call so far is a subclass's construction
    for node in module.body:
        for stmt in _walk_all(node):
            if stmt is class_node:
                continue
            if not isinstance(stmt, cst.ClassDef):
                continue
            subclass = any(_last_name(arg.value) == base for arg in stmt.bases)
            for function in _walk_all(stmt):
                if not isinstance(function, cst.FunctionDef):
                    continue
                params = function.params.params
                me = params[0].name.value if params else None
                for call in _walk_all(function.body):
                    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
                        continue
                    name = call.func.attr.value
                    if name not in wanted:
                        continue
                    ok = (
                        subclass
                        and function.name.value in INIT_LIKE
                        and isinstance(call.func.value, cst.Name)
                        and call.func.value.value == me
                    )
                    seen[name] = seen.get(name, True) and ok
    return {name for name, ok in seen.items() if ok}


def _last_name(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _walk_all(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, cst.ClassDef):
            continue  # a nested class is visited as its own class
        stack.extend(reversed(tuple(children(current))))
