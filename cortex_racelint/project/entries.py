"""Which calls start code on another thread: the one table of thread-entry kinds the index reads.

`thread_entry(call)` answers for one `ast.Call`: the entry kind, the expression of the code it
runs, and whether several copies of it may run at once (a pool task, a done-callback).
A table of framework entries (FUSE operations, `socketserver` handlers) can be added here
without touching the summary or the join.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional

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
    # Twisted hands code to its thread pool (`project/event_loop.py`); `callFromThread` goes the other way
    "callInThread": EntryKind("reactor thread-pool task", 0, None, True, True),
    "callInThreadWithCallback": EntryKind("reactor thread-pool task", 1, None, True, True),
    "deferToThread": EntryKind("reactor thread-pool task (deferToThread)", 0, None, True, False),
    "deferToThreadPool": EntryKind("reactor thread-pool task (deferToThreadPool)", 2, None, True, False),
}


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


#: base classes whose subclass's `run()` runs on a thread of its own
THREAD_BASES = frozenset({"Thread"})
#: calls that run an asyncio event loop in the calling thread (`asyncio.run(main())`,
#: `loop.run_until_complete(...)`, `loop.run_forever()`, `asyncio.Runner`)
LOOP_RUNNERS = frozenset({"run_until_complete", "run_forever", "Runner"})


def last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def runs_event_loop(call: ast.Call) -> int:
    """0, or how `call` runs an event loop in the calling thread: 1 on a coroutine the index can
    follow (`asyncio.run(self.serve())`: a call it records), 2 on one it cannot (`asyncio.run(main)`,
    `loop.run_forever()`: whatever was scheduled)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "run":
        if not (isinstance(func.value, ast.Name) and func.value.id in ("asyncio", "uvloop")):
            return 0
    elif last_name(func) not in LOOP_RUNNERS:
        return 0
    first = call.args[0] if call.args else None
    return 1 if isinstance(first, ast.Call) and isinstance(first.func, (ast.Name, ast.Attribute)) else 2


#: loop methods that run a callable later on the loop's thread -> position of the callable
LOOP_SCHEDULERS = {"call_soon": 0, "call_soon_threadsafe": 0, "call_later": 1, "call_at": 1}
#: asyncio protocol base classes: the loop calls their callbacks (`PROTOCOL_CALLBACKS`)
PROTOCOL_BASES = frozenset({"Protocol", "BufferedProtocol", "DatagramProtocol", "SubprocessProtocol", "BaseProtocol"})
PROTOCOL_CALLBACKS = frozenset(
    {
        "connection_made", "connection_lost", "data_received", "eof_received", "get_buffer", "buffer_updated",
        "datagram_received", "error_received", "pause_writing", "resume_writing", "pipe_data_received",
        "pipe_connection_lost", "process_exited",
    }
)


def scheduled_callback(call: ast.Call) -> Optional[ast.expr]:
    """The callable `loop.call_soon(cb)`, `call_later(delay, cb)`, ... hands to the loop's thread."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOOP_SCHEDULERS:
        return None
    position = LOOP_SCHEDULERS[func.attr]
    return call.args[position] if len(call.args) > position else None


def asyncio_protocol(node: ast.ClassDef, imports: dict[str, list]) -> bool:
    """A subclass of `asyncio.Protocol` (or another protocol base), as written or imported from asyncio."""
    for base in node.bases:
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
            if base.value.id == "asyncio" and base.attr in PROTOCOL_BASES:
                return True
        elif isinstance(base, ast.Name) and base.id in PROTOCOL_BASES:
            imported = imports.get(base.id)
            if imported is not None and imported[1].split(".")[0] == "asyncio":
                return True
    return False


def handed_values(node: ast.expr, scheduled: Optional[ast.expr] = None) -> Iterator[str]:
    """Private functions and methods a call's arguments (or an assigned value) hand on without calling
    them (`register(self._on_data)`, `self.cb = _helper`): they may run anywhere. `scheduled`, the
    callable a loop scheduler gets, runs on the loop and is left out."""
    values = [a.value if isinstance(a, ast.Starred) else a for a in node.args] + [k.value for k in node.keywords] if isinstance(
        node, ast.Call
    ) else [node]
    for value in values:
        if value is scheduled:
            continue
        name = last_name(value)
        if name.startswith("_") and not name.startswith("__") and isinstance(value, (ast.Name, ast.Attribute)):
            yield name
