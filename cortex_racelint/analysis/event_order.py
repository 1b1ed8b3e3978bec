"""Happens-before through a `threading.Event`: `x = v; ev.set()` on one side, `ev.wait(); read x` on the other.

A `queue.Queue` orders the same way (`x = v; q.put(item)`, then `q.get(); read x`), and so does
a `threading.Condition`: `with cond: x = v; cond.notify_all()` on one side,
`with cond: while not ...: cond.wait()` then a read of `x` on the other (kazoo's election test).

The writer's change is published by `set()` and the reader does not get past `wait()` until then,
so the pair is ordered. Read on the statements of each access's own method: an `ev.wait()` in a
statement before the access (in a block that encloses it), an `ev.set()` in a statement after it.
Events are matched by spelling (`self._ready`), and only attributes the class binds to
`threading.Event()` count. A `wait(timeout)` that times out would not order the pair; code that
reads after a timed-out wait is reported by racelint only when the wait is not there at all.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import libcst as cst

from .traverse import children

from .lazyinit import walk_statements
from .names import dotted_name


#: a `Condition` publishes with `notify()`/`notify_all()` and is waited on with `wait()`/`wait_for()`
PUBLISH = frozenset({"set", "notify", "notify_all", "put"})
WAIT = frozenset({"wait", "wait_for", "get"})
#: factories whose objects order a change before their publish call with a read after their wait call
#: (a queue: `x = v; q.put(item)` then `q.get(); read x`, the item hands the change over)
ORDERING = ("threading.Event", "threading.Condition", "threading.Barrier",
            "queue.Queue", "queue.SimpleQueue", "queue.LifoQueue", "queue.PriorityQueue")


def _calls_in(statements: Iterable[cst.CSTNode], methods: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for node in walk_statements(list(statements)):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in methods:
            name = dotted_name(node.func.value)
            if name is not None:
                found.add(name)
    return found


def _siblings(path: Sequence[cst.CSTNode], after: bool) -> list[cst.CSTNode]:
    """Statements before (or after) the access in every block on its path."""
    out: list[cst.CSTNode] = []
    for index, node in enumerate(path[:-1]):
        if isinstance(node, cst.IndentedBlock):
            child = path[index + 1]
            position = next((i for i, stmt in enumerate(node.body) if stmt is child), None)
            if position is not None:
                out.extend(node.body[position + 1 :] if after else node.body[:position])
    return out


def waited_before(path: Sequence[cst.CSTNode]) -> set[str]:
    """`X` of every `X.wait()` that runs before the access at the end of `path`."""
    return _calls_in(_siblings(path, after=False), WAIT)


def set_after(path: Sequence[cst.CSTNode], barriers: frozenset[str] = frozenset()) -> set[str]:
    """`X` of every `X.set()` that runs after the access at the end of `path`; also of every
    `X.wait()` on a `threading.Barrier` (`self.<attr>` in `barriers`): nobody passes a barrier
    before every party reached it, so what a party did before its `wait()` is published.

    An access in a loop counts only the calls after the loop (outermost in its function): a
    publish inside it is followed by the next round's change (`for ...: x = v; ev.set()`)."""
    after = _siblings(_to_outermost_loop(path), after=True)
    crossed = {name for name in _calls_in(after, WAIT) if name.partition(".")[2] in barriers}
    return _calls_in(after, PUBLISH) | crossed


def event_attributes(
    class_node: cst.ClassDef, imports, kinds: tuple[str, ...] = ORDERING
) -> frozenset[str]:
    """`self.<attr>` names the class binds to one of `kinds` (an Event, Condition, Barrier, Queue)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [class_node.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            if (imports.qualify(node.value.func) or "") in kinds:
                for target in node.targets:
                    name = dotted_name(target.target)
                    if name is not None and name.count(".") == 1:
                        found.add(name.split(".", 1)[1])
        if not isinstance(node, cst.BaseExpression):  # an assignment is a statement: no need to enter expressions
            stack.extend(children(node))
    return frozenset(found)


_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _to_outermost_loop(path: Sequence[cst.CSTNode]) -> Sequence[cst.CSTNode]:
    """`path` cut at the outermost loop around its end (within its function), else `path`."""
    cut = len(path)
    for index in range(len(path) - 2, -1, -1):
        node = path[index]
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            break
        if isinstance(node, _LOOPS):
            cut = index + 1
    return path[:cut]


def local_events(class_node: cst.ClassDef, imports) -> frozenset[tuple[str, str]]:
    """(method, name) for `name = threading.Event()` in a method of the class or a def nested in it
    (shared by closure: `waiter.set()` in a thread target, `waiter.wait()` in the method)."""
    found: set[tuple[str, str]] = set()
    for stmt in class_node.body.body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        stack: list[cst.CSTNode] = [stmt.body]  # nested defs too: the closure may be a level down
        while stack:
            node = stack.pop()
            stack.extend(children(node))
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
                if (imports.qualify(node.value.func) or "") == "threading.Event":
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            found.add((stmt.name.value, target.target.value))
    return frozenset(found)


def in_loop(path: Sequence[cst.CSTNode]) -> bool:
    """Is the access at the end of `path` inside a loop of its function (it runs again later)?"""
    for node in reversed(path[:-1]):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return False
        if isinstance(node, _LOOPS):
            return True
    return False


def held_with(path: Sequence[cst.CSTNode], name: str) -> bool:
    """Is the access at the end of `path` inside `with <name>:`?"""
    return any(
        isinstance(node, cst.With) and any(dotted_name(item.item) == name for item in node.items) for node in path[:-1]
    )
