"""Load-modify-save of a shared file through a saving helper (CRL304).

`entries = self._load(); entries.append(x); self._save(entries)`: each caller loads its own
copy of the file, changes it and saves it. Two callers at once both load the old content and
the later save drops the earlier caller's entry. CRL301 sees only the helper's write: its lock
covers the write inside `_save`, not the span from the load, so the entry is still lost. When
the read and the write are in one function CRL301's region already starts at the read: that
shape is CRL301's, not this module's.

A site is a function (not `async`, not one-shot code, not a constructor for attribute paths)
with, in one block, a statement that loads a shared file (a read op of it, or a call of a
helper of the module or class that reads it) and binds a local, then a later statement calling
a helper that writes the same file (same path text, same class), with that local among the
call's arguments and changed in between (or passed in a larger expression: `_save(data + [x])`).
The span is unguarded when no lock is held at both statements and the function inherits none
from its callers (`FileAnalysis.inherited_locks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from ..ftypes import FlowStep
from .file_write_sites import in_scope
from .file_writes import FileAnalysis, FileOp, FunctionInfo, Region, walk_all
from .lazyinit import walk_statements

#: the project fact naming, per function, the path from a thread entry reaching it (`project/entry_reach.py`)
THREAD_ENTRIES = "thread_entries"


@dataclass
class LoadSave:
    """One load → modify → save span of `function`, `block.body[load:save + 1]`."""

    function: FunctionInfo
    block: cst.IndentedBlock
    load: int
    save: int
    load_call: cst.Call  # the read, or the call of the loading helper
    save_call: cst.Call  # the call of the saving helper
    saver: FunctionInfo
    write: FileOp  # the saver's write of the file
    name: str  # the local holding the loaded copy

    @property
    def region(self) -> Region:
        return Region(self.block, self.load, self.save, read_first=True)

    @property
    def loader(self) -> str:
        """How the span loads, for messages: `_load()` or the read's verb."""
        func = self.load_call.func
        if isinstance(func, cst.Attribute):
            return f"{func.attr.value}()"
        return f"{func.value}()" if isinstance(func, cst.Name) else "a read"


def load_save_sites(analysis: FileAnalysis) -> list[LoadSave]:
    """Every unguarded load-modify-save span of the module (memoised on the context)."""
    key = ("load_save_sites", 0)
    memo = analysis.context.memo
    if key not in memo:
        savers = {op.function.name for op in analysis.ops if op.is_write and op.path is not None and op.function}
        functions = list(analysis.functions.values()) if savers else []
        memo[key] = [site for function in functions for site in _sites(analysis, function, savers)]
    return memo[key]  # type: ignore[return-value]


def saver_covered(analysis: FileAnalysis, op: FileOp) -> bool:
    """`op` is a private saving helper's write whose every call in the module is a load-modify-save span:
    the race is CRL304's (one finding per race), and its lock around the span guards the write."""
    if op.function is None or not op.function.is_private or op.function.parent is not None:
        return False  # a public saver: callers outside the module may save without loading (CRL301's)
    sites = [site for site in load_save_sites(analysis) if site.write is op]
    calls = analysis.call_sites(op.function)
    spans = {id(site.save_call) for site in sites}
    return bool(sites) and all(id(site.call) in spans for site in calls)


def _sites(analysis: FileAnalysis, function: FunctionInfo, savers: set[str]) -> Iterator[LoadSave]:
    node = function.node
    if node.asynchronous is not None or analysis.one_shot(function) is not None or analysis.async_only(function):
        return  # one event-loop thread, or one short-lived caller (as CRL301 judges its writes)
    if analysis.inherited_locks(function):
        return
    for block in _blocks(node):
        for save_index, stmt in enumerate(block.body):
            for call in _calls(stmt):
                func = call.func
                name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
                if name not in savers:
                    continue  # cheap: only calls of a function that writes a shared file can save
                saver = analysis.helper_called(call, function)
                if saver is None or saver is function:
                    continue
                for write in _writes(analysis, saver):
                    site = _load_before(analysis, function, block, save_index, call, saver, write)
                    if site is not None:
                        yield site
                        break


def loads_first(analysis: FileAnalysis, op: FileOp, region: Optional[Region]) -> bool:
    """CRL301's region starts at a *load* of the written file (a read of it, or a helper reading
    it), not only an existence check: a load-modify-save in one function, whose race loses an entry."""
    if region is None or not region.read_first or op.function is None:
        return False
    before = region.block.body[region.start : region.end]
    return any(_reads_file(analysis, stmt, op, op.function) is not None for stmt in before)


def _blocks(node: cst.FunctionDef) -> Iterator[cst.IndentedBlock]:
    for child in walk_statements([node.body]):
        if isinstance(child, cst.IndentedBlock):
            yield child


def _calls(stmt: cst.CSTNode) -> Iterator[cst.Call]:
    for child in walk_statements([stmt]):
        if isinstance(child, cst.Call):
            yield child


def _writes(analysis: FileAnalysis, saver: FunctionInfo) -> list[FileOp]:
    """The saver's in-place writes of a shared file (its own locks do not matter: the load is outside them)."""
    return [
        op
        for op in analysis.ops
        if op.function is saver and op.is_write and not op.is_append and in_scope(op) and op.path is not None
    ]


def _reads_file(analysis: FileAnalysis, stmt: cst.CSTNode, write: FileOp, function: FunctionInfo) -> Optional[cst.Call]:
    """The call in `stmt` that loads `write`'s file: a read of it, or a helper that reads it."""
    assert write.path is not None
    for call in _calls(stmt):
        op = analysis.by_call.get(id(call))
        if op is not None and op.is_read and _same_file(op, write):
            return call
        helper = analysis.helper_called(call, function)
        if helper is not None and any(
            other.function is helper and other.is_read and _same_file(other, write) for other in analysis.ops
        ):
            return call
    return None


def _same_file(op: FileOp, write: FileOp) -> bool:
    assert write.path is not None
    return op.path is not None and op.path.key == write.path.key and op.path.scope is write.path.scope


def _load_before(
    analysis: FileAnalysis,
    function: FunctionInfo,
    block: cst.IndentedBlock,
    save_index: int,
    save_call: cst.Call,
    saver: FunctionInfo,
    write: FileOp,
) -> Optional[LoadSave]:
    if function.kind != "function" and function.name in ("__init__", "__new__", "__post_init__"):
        return None  # the object is not shared yet (CRL301 skips constructors too)
    passed = [arg.value for arg in save_call.args]
    for index in range(save_index - 1, -1, -1):
        stmt = block.body[index]
        load_call = _reads_file(analysis, stmt, write, function)
        if load_call is None:
            continue
        for name in _bound_names(stmt):
            bare = any(isinstance(arg, cst.Name) and arg.value == name for arg in passed)
            inside = any(_mentions(arg, name) for arg in passed if not isinstance(arg, cst.Name))
            changed = any(_mentions(between, name) for between in block.body[index + 1 : save_index])
            changed = changed or _uses(block.body[save_index], name) > _uses(save_call, name)  # `if x not in d: d.append(x)`
            if not ((bare and changed) or inside):
                continue
            if _guarded(analysis, saver, block, save_call):
                return None
            return LoadSave(function, block, index, save_index, load_call, save_call, saver, write, name)
        return None  # the nearest load does not feed this save
    return None


def _guarded(analysis: FileAnalysis, saver: FunctionInfo, block: cst.IndentedBlock, save_call: cst.Call) -> bool:
    """A lock held around `block` (the load and the save are both in it): the span is guarded."""
    for site in analysis.call_sites(saver):
        held = site.held_inside(block) if site.call is save_call else None
        if held is not None:
            return bool(held)
    return False


def qualified_name(function: FunctionInfo) -> str:
    """The summary's name of `function`: "f", "C.m", "C.m.inner"."""
    names: list[str] = []
    outer: Optional[FunctionInfo] = function
    while outer is not None:
        names.append(outer.name)
        if outer.parent is None and outer.class_node is not None:
            names.append(outer.class_node.name.value)
        outer = outer.parent
    return ".".join(reversed(names))


def entry_flow(analysis: FileAnalysis, site: LoadSave) -> tuple[FlowStep, ...]:
    """The path from a thread entry of the project to the span's function (the project index's
    evidence of a second thread), or () when the project knows none (or the file is linted alone)."""
    reached = analysis.context.project_facts.get(THREAD_ENTRIES, {})
    steps = reached.get(qualified_name(site.function)) if isinstance(reached, dict) else None
    return tuple(FlowStep(*step) for step in steps) if steps else ()


def _bound_names(stmt: cst.CSTNode) -> list[str]:
    names: list[str] = []
    for node in walk_statements([stmt]):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, cst.AnnAssign):
            targets = [node.target]
        names.extend(t.value for t in targets if isinstance(t, cst.Name))
    return list(dict.fromkeys(names))


def _uses(node: cst.CSTNode, name: str) -> int:
    return sum(1 for n in walk_all(node) if isinstance(n, cst.Name) and n.value == name)


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in walk_all(node))


__all__ = ["LoadSave", "entry_flow", "load_save_sites", "loads_first", "qualified_name", "saver_covered"]
