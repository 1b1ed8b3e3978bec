"""Which calls start code on another thread: the one table of thread-entry kinds the index reads.

`thread_entry(call)` answers for one `ast.Call`: the entry kind, the expression of the code it
runs, and whether several copies of it may run at once (a pool task, a done-callback).
A table of framework entries (FUSE operations, `socketserver` handlers) can be added here
without touching the summary or the join.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional

#: receivers whose `.map(...)` is not an executor's
_NOT_EXECUTORS = frozenset({"map", "builtins", "itertools", "str", "dict", "pool_map", "functools"})


@dataclass(frozen=True)
class EntryKind:
    """One kind of thread entry: how its call is spelt and where the callable is."""

    name: str  # what a message calls it: "thread target", "executor task"
    #: positional index of the callable, or None when only a keyword carries it
    position: Optional[int]
    keyword: Optional[str]
    #: several copies can run at once (a pool runs many tasks; callbacks of many futures)
    concurrent: bool
    #: a method call (`ex.submit(f)`): the receiver must not be a plain builtin name
    method: bool


#: the last component of the called name -> entry kind
ENTRY_KINDS: dict[str, EntryKind] = {
    "Thread": EntryKind("thread target", None, "target", False, False),
    "Timer": EntryKind("timer callback", 1, "function", False, False),
    "start_new_thread": EntryKind("thread target", 0, None, False, False),
    "start_new": EntryKind("thread target", 0, None, False, False),
    "submit": EntryKind("executor task", 0, None, True, True),
    "map": EntryKind("executor task", 0, None, True, True),
    "run_in_executor": EntryKind("executor task", 1, None, True, True),
    "to_thread": EntryKind("worker thread (asyncio.to_thread)", 0, None, True, False),
    "add_done_callback": EntryKind("done-callback", 0, None, True, True),
}


#: base classes whose subclasses run their own code on a thread they start (`run`, a pool's workers)
THREAD_BASES = frozenset({"Thread", "Timer", "ThreadPoolExecutor", "ThreadPool", "Executor"})


@dataclass(frozen=True)
class Entry:
    kind: str
    target: ast.expr
    concurrent: bool


def thread_entry(call: ast.Call) -> Optional[Entry]:
    """The thread entry `call` makes, if any."""
    func = call.func
    if isinstance(func, ast.Attribute):
        name = func.attr
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in _NOT_EXECUTORS:
            return None
    elif isinstance(func, ast.Name):
        name = func.id
        receiver = None
    else:
        return None
    kind = ENTRY_KINDS.get(name)
    if kind is None or (kind.method and receiver is None):
        return None
    target: Optional[ast.expr] = None
    if kind.keyword is not None:
        target = next((k.value for k in call.keywords if k.arg == kind.keyword), None)
    if target is None and kind.position is not None and len(call.args) > kind.position:
        target = call.args[kind.position]
    if target is None or isinstance(target, ast.Starred):
        return None
    return Entry(kind.name, target, kind.concurrent)
