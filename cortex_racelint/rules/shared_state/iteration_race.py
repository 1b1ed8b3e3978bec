"""CRL405's part of the shared CRL4 findings: which racing accesses are an iteration against a
size change, what the container is, and what goes wrong (a crash, or a torn snapshot)."""

from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ...analysis.fork_child import after_fork_callbacks, in_fork_child
from ...analysis.scope_walk import own_nodes
from ...analysis.shared_objects import walk_object
from ...analysis.iteration_sites import VIEWS, iteration_consumer, iteration_use, sorted_dump
from ...analysis.traverse import children
from ...analysis.threads import CONTENTS_RMW, ITERATE, MUTATE, MUTATORS, Access, ClassThreads
from ...fixes.shared_walk_lock import shared_walk_fix
from ...ftypes import Consequence, FlowStep, GilExposure, Severity
from ...rule import WindowNodes

CODE = "CRL405"
_CHANGES_SIZE = (MUTATE, CONTENTS_RMW)
_DICT_METHODS = frozenset({"setdefault", "popitem", "update", "items", "keys", "values", "get"})
_SET_METHODS = frozenset({"add", "discard", "difference_update", "intersection_update", "symmetric_difference_update"})
_LIST_METHODS = frozenset({"append", "extend", "insert", "sort", "reverse"})
_DEQUE_METHODS = frozenset({"appendleft", "extendleft", "popleft", "rotate"})
#: factories in `__init__` that say what the container is
_FACTORIES = {
    "dict": "dict", "defaultdict": "dict", "collections.defaultdict": "dict", "OrderedDict": "dict",
    "collections.OrderedDict": "dict", "Counter": "dict", "collections.Counter": "dict",
    "set": "set", "list": "list", "deque": "deque", "collections.deque": "deque",
}


def is_iteration_race(threads: ClassThreads, access: Access) -> bool:
    """An iteration racing a change of the container's size, or a change whose only partners
    are iterations (a change also racing a rebinding stays CRL401's)."""
    conflicts = [c for c in threads.conflicts(access) if not _in_child(threads, c.other)]
    others = [c.other.kind for c in conflicts]
    if access.kind == ITERATE:
        return not _in_child(threads, access) and any(kind in _CHANGES_SIZE for kind in others)
    if access.kind in _CHANGES_SIZE:
        return bool(others) and all(kind == ITERATE for kind in others)
    return False


def _in_child(threads: ClassThreads, access: Access) -> bool:
    """A walk in a forked child (`analysis.fork_child`): the parent's other threads do not exist there.
    Left to CRL401 as before (its model does not know forks)."""
    if access.kind != ITERATE:
        return False
    region = threads.regions.get(access.region)
    memo = vars(threads)  # once per class analysis, not per access pair
    if "_after_fork_callbacks" not in memo:
        memo["_after_fork_callbacks"] = after_fork_callbacks(f for defs in threads.methods.values() for f in defs)
    return (region is not None and region.method in memo["_after_fork_callbacks"]) or in_fork_child(access.path)


def appends_only(threads: ClassThreads, access: Access) -> bool:
    """A list that the racing side only appends to (`append`, `extend`: at the end): a walk
    sees the new items or stops before them, never skips one nor sees one twice. Harmless."""
    if container_kind(threads, access.attr) != "list":
        return False
    changes = [access] if access.kind != ITERATE else []
    changes += [c.other for c in threads.conflicts(access) if c.other.kind != ITERATE]
    return bool(changes) and all(_appends(change) for change in changes)


def sorted_dict_dump(threads: ClassThreads, access: Access) -> bool:
    """Every walk of the pair is a `json.dump(..., sort_keys=True)` of a dict: the encoder's
    `sorted(d.items())` copies it in one C call, so its size cannot change mid-walk (no finding)."""
    if container_kind(threads, access.attr) != "dict":
        return False
    walks = [access] if access.kind == ITERATE else [c.other for c in threads.conflicts(access) if c.other.kind == ITERATE]
    return bool(walks) and all(walk.alias is None and sorted_dump(walk.path) for walk in walks)


def _appends(access: Access) -> bool:
    parent = access.path[-2] if len(access.path) >= 2 else None
    grand = access.path[-3] if len(access.path) >= 3 else None
    return (
        access.kind == MUTATE
        and isinstance(parent, cst.Attribute)
        and parent.value is access.node
        and parent.attr.value in ("append", "extend")
        and isinstance(grand, cst.Call)
    )


def plain_loop(access: Access) -> bool:
    """`for x in self.a` / `[... for x in self.a]`: the walks CRL401 reported before CRL405 existed."""
    parent = access.path[-2] if len(access.path) >= 2 else None
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is access.node


def iteration_code(threads: ClassThreads, access: Access) -> Optional[str]:
    """CRL405, or for a list only appended to (harmless): CRL401 where it reported the pair before
    (a plain loop over the attribute), else no finding (a `json.dump` of it reads a consistent prefix)."""
    if sorted_dict_dump(threads, access):
        return None
    if not appends_only(threads, access):
        return CODE
    walks = [access] if access.kind == ITERATE else [c.other for c in threads.conflicts(access) if c.other.kind == ITERATE]
    return "CRL401" if any(plain_loop(walk) and walk.alias is None for walk in walks) else None  # CRL401's as before


def container_kind(threads: ClassThreads, attr: str) -> Optional[str]:
    """"dict", "set", "list" or "deque" from how the class builds and uses `self.<attr>`; None if unknown."""
    votes: set[str] = set()
    for function in threads.methods.get("__init__", []):
        for node in own_nodes(function.body):
            if isinstance(node, cst.Assign) and any(_is_self_attr(t.target, attr) for t in node.targets):
                votes |= _built(node.value)
            elif isinstance(node, cst.AnnAssign) and node.value is not None and _is_self_attr(node.target, attr):
                votes |= _built(node.value)
    for access in threads.accesses:
        if access.attr != attr or len(access.path) < 3:
            continue
        parent, grand = access.path[-2], access.path[-3]
        if isinstance(parent, cst.AssignTarget) and isinstance(grand, cst.Assign):
            votes |= _built(grand.value)
        elif isinstance(parent, cst.Attribute) and parent.value is access.node:
            method = parent.attr.value
            for names, kind in ((_DICT_METHODS, "dict"), (_SET_METHODS, "set"), (_LIST_METHODS, "list"), (_DEQUE_METHODS, "deque")):
                if method in names:
                    votes.add(kind)
    if "deque" in votes:
        votes.discard("list")  # a deque appends too
    return votes.pop() if len(votes) == 1 else None


def _is_self_attr(node: cst.BaseExpression, attr: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.attr.value == attr


def _built(value: cst.BaseExpression) -> set[str]:
    if isinstance(value, cst.Dict) or isinstance(value, cst.DictComp):
        return {"dict"}
    if isinstance(value, (cst.Set, cst.SetComp)):
        return {"set"}
    if isinstance(value, (cst.List, cst.ListComp)):
        return {"list"}
    if isinstance(value, cst.Call):
        func = value.func
        name = func.value if isinstance(func, cst.Name) else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            name = f"{func.value.value}.{func.attr.value}"
        if name in _FACTORIES:
            return {_FACTORIES[name]}
    return set()


def iteration_consequence(threads: ClassThreads, accesses: list[Access]) -> Consequence:
    """A dict, set or deque changed during iteration raises RuntimeError (on any build: the
    iteration runs Python code between steps); a list is read torn. Unknown: the worse one."""
    first = accesses[0]
    kind = container_kind(threads, first.attr)
    if kind is None and any(_iterates_view(a) for a in accesses):
        kind = "dict"
    if kind == "list":
        return Consequence(
            "torn snapshot", Severity.MEDIUM, "the list is iterated while it changes: an element is skipped or seen twice"
        )
    shown = kind or "container"
    return Consequence(
        "crash",
        Severity.HIGH,
        f"a {shown} that changes size while it is iterated raises RuntimeError (\"changed size during iteration\")",
    )


def _iterates_view(access: Access) -> bool:
    parent = access.path[-2] if len(access.path) >= 2 else None
    return isinstance(parent, cst.Attribute) and parent.attr.value in VIEWS


def iteration_message(threads: ClassThreads, accesses: list[Access]) -> str:
    """Both sides: who iterates (and how), who changes it."""
    first = accesses[0]
    conflicts = [c for c in threads.conflicts(first) if not _in_child(threads, c.other)]
    here = sorted({c.here for c in conflicts}, key=lambda c: (c == "caller", c))[0]
    where = threads.label(first, here)
    partners = list(dict.fromkeys(threads.label(c.other, c.there) for c in conflicts))
    shown = ", ".join(partners[:3]) + (f" and {len(partners) - 3} more" if len(partners) > 3 else "")
    kind = container_kind(threads, first.attr)
    what = f"`self.{first.attr}`" + (f" (a {kind})" if kind else "")
    if first.kind == ITERATE:
        through = f" through {first.alias}" if first.alias else ""
        return (
            f"{what} is iterated{through} by {where} ({iteration_consumer(first.path)}) while {shown} "
            "changes its size, without a common lock"
        )
    iterations = [c for c in conflicts if c.other.kind == ITERATE]
    how = iteration_consumer(iterations[0].other.path) if iterations else "a loop"
    return f"{what} changes size in {where} while {shown} iterates it ({how}), without a common lock"


def alias_walk_reason(threads: ClassThreads, access: Access) -> Optional[str]:
    """No fix for a walk through a local alias (`d = self.d; for k in d:`), nor for a change whose only
    racing walks are such: a snapshot at the alias would miss the method's own changes made before the
    walk, and a lock around the change alone would not keep it out of the walk."""
    if access.alias is not None:
        alias = access.alias
    elif access.kind == ITERATE:
        return None
    elif access.kind not in _CHANGES_SIZE or not is_iteration_race(threads, access):
        return None
    else:
        walks = [c.other for c in threads.conflicts(access) if c.other.kind == ITERATE]
        alias = walks[0].alias if walks and all(w.alias for w in walks) else None
    if alias is None:
        return None
    return (
        f"`self.{access.attr}` is walked through {alias}: hold one lock across that walk "
        f"and around each change by hand (or walk a copy taken under it)"
    )


def iteration_window(threads: ClassThreads, access: Access) -> Optional[WindowNodes]:
    """The walk (`check`), the change landing in it (`act`) and a call inside the walk to hold: a walk
    runs Python between its steps (a loop body, `json.dump`'s chunks), so the race fires under the GIL."""
    partners = [c.other for c in threads.conflicts(access) if not _in_child(threads, c.other)]
    if access.kind == ITERATE:
        walk, change = access, next((p for p in partners if p.kind != ITERATE), None)
    else:
        walk, change = next((p for p in partners if p.kind == ITERATE), None), access
    if walk is None or change is None:
        return None
    statement = walk.small if walk.small is not None else walk.node
    for node in reversed(walk.path):
        if isinstance(node, cst.For):
            statement = node
            break
        if isinstance(node, (cst.SimpleStatementLine, cst.FunctionDef)):
            break
    hold = next((n for n in own_nodes(statement) if isinstance(n, cst.Call)), None)
    return WindowNodes(check=walk.node, act=change.node, hold_call=hold, exposure=GilExposure.GIL)


# -- CRL406: CRL405's race on process-wide shared objects (the project index: `project/walk_join.py`) -------------

def shared_walk_reports(rule: Any, class_node: cst.ClassDef) -> None:
    """Report (for CRL406, `shared_object_walk`) each walk the project facts name on this shared class
    (`walk_join.py`): one thread walks `self.<attr>` while another changes its size, no lock held in common."""
    context = rule.context
    klass = context.project_facts.get("classes", {}).get(class_node.name.value)
    if not klass or not klass.get("walks") or context.class_ is not None:
        return
    methods = {m.name.value: m for m in class_node.body.body if isinstance(m, cst.FunctionDef)}
    for attr, ordinal, method, consumer, change, appends, paths in klass["walks"]:
        function = methods.get(method)
        kind = _init_kind(methods.get("__init__"), attr)
        if function is None or (appends and kind == "list"):
            continue  # a list only appended to: the walk sees a consistent prefix (as for a class's own threads)
        walks = _walk_nodes(function, attr)
        if ordinal >= len(walks):
            continue
        node, path = walks[ordinal]
        if kind is None and any(isinstance(p, cst.Attribute) and p.attr.value in VIEWS for p in path[-2:-1]):
            kind = "dict"
        flow = tuple(FlowStep(*step) for step in paths[0]) if paths else ()
        what = f"`self.{attr}`" + (f" (a {kind})" if kind else "")
        message = (
            f"{what} is iterated by `{class_node.name.value}.{method}()` ({iteration_consumer(path)}) on the object "
            f"shared as {klass['shared']} (from {flow[0].message if flow else 'a thread entry'}) while "
            f"`{class_node.name.value}.{change[0]}()` changes its size (from {change[3]}), without a common lock"
        )
        changes = _size_nodes(methods[change[0]], attr) if change[0] in methods else []
        held = set(context.locks.locks_held([*context.ancestors, class_node, class_node.body, *path]))
        if held and change[2] == 1 and change[1] < len(changes):
            if held & set(context.locks.locks_held([*context.ancestors, class_node, class_node.body, *changes[change[1]]])):
                continue  # both sides under one lock in this file (the index runs before a fix loop's passes)
        plan = shared_walk_fix(
            context, class_node, (function, path), (methods[change[0]], changes[change[1]]) if change[1] < len(changes) else None,
            attr, change[2],
        )
        consequence = _kind_consequence(kind)
        shared = walk_object(klass, attr, change[0], flow)  # what `confirm` drives (`confirm/families.py`)
        if isinstance(plan, str):
            rule.report(node, message, no_fix_reason=plan, flow=flow, consequence=consequence, shared=shared)
        else:
            rule.report(node, message, fix=plan, flow=flow, consequence=consequence, shared=shared)


def _size_nodes(function: cst.FunctionDef, attr: str) -> list[list[cst.CSTNode]]:
    """The paths to the size changes of `self.<attr>` in the method's own code, in source order
    (`iteration_sites.ast_size_change` on the CST: a mutator call, an item store or `del`)."""
    found: list[list[cst.CSTNode]] = []
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(function.body, [function, function.body])]
    while stack:
        node, path = stack.pop()
        if _changes_size(node, attr):
            found.append(path)
        for child in reversed(list(children(node))):
            if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.append((child, [*path, child]))
    return found


def _changes_size(node: cst.CSTNode, attr: str) -> bool:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in MUTATORS:
        return _is_own(node.func.value, attr)
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, cst.Del):
        targets = [node.target]
    return any(isinstance(t, cst.Subscript) and _is_own(t.value, attr) for t in targets)


def _is_own(node: cst.CSTNode, attr: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self" and node.attr.value == attr


def _walk_nodes(function: cst.FunctionDef, attr: str) -> list[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    """The walks of `self.<attr>` in the method's own code, in source order (the index's order)."""
    found: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = []
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(function.body, [function, function.body])]
    while stack:
        node, path = stack.pop()
        if _is_self_attr(node, attr) and isinstance(node.value, cst.Name) and node.value.value == "self":  # type: ignore[attr-defined]
            if iteration_use(path) is not None:
                found.append((node, path))
            continue
        for child in reversed(list(children(node))):
            if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.append((child, [*path, child]))
    return found


def _init_kind(init: Optional[cst.FunctionDef], attr: str) -> Optional[str]:
    votes: set[str] = set()
    for node in own_nodes(init.body) if init is not None else ():
        if isinstance(node, cst.Assign) and any(_is_self_attr(t.target, attr) for t in node.targets):
            votes |= _built(node.value)
        elif isinstance(node, cst.AnnAssign) and node.value is not None and _is_self_attr(node.target, attr):
            votes |= _built(node.value)
    return votes.pop() if len(votes) == 1 else None


def _kind_consequence(kind: Optional[str]) -> Consequence:
    if kind == "list":
        return Consequence("torn snapshot", Severity.MEDIUM, "the list is iterated while it changes: an element is skipped or seen twice")
    return Consequence(
        "crash", Severity.HIGH,
        f"a {kind or 'container'} that changes size while it is iterated raises RuntimeError (\"changed size during iteration\")",
    )
