"""Which calls and classes start code on another thread, for the index: the one table read on `ast`.

The rows are `analysis.entry_table`'s (the table the LibCST rules read too), plus the project's
`[tool.racelint] thread-entries`. The summary records names as written, so a row is recognised
here by the last component of its name: a superset the join narrows by what the entry reaches.

- `Entries.call(call)`: the entry a call makes (the callable handed over, and whether several
  copies may run at once: a pool task, a done-callback);
- `Entries.class_rows(bases)`: the rows whose base class a class names (its matching methods
  are entries; a request handler's every method).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

from ..analysis.entry_table import ENTRY_TABLE, last_name
from ..analysis.names import ast_dotted
from ..ftypes import ThreadEntrySpec

#: receivers whose `.map(...)` is not an executor's
_NOT_EXECUTORS = frozenset({"map", "builtins", "itertools", "str", "dict", "pool_map", "functools"})


#: base classes whose subclasses run their own code on a thread they start (`run`, a pool's workers)
SPAWNING_BASES = frozenset({"Thread", "Timer", "ThreadPoolExecutor", "ThreadPool", "Executor"})


@dataclass(frozen=True)
class Entry:
    kind: str
    target: ast.expr
    concurrent: bool


class Entries:
    """The table's rows indexed by the last component of their call or base names."""

    def __init__(self, table: tuple[ThreadEntrySpec, ...]) -> None:
        self.calls: dict[str, list[ThreadEntrySpec]] = {}
        self.bases: dict[str, list[ThreadEntrySpec]] = {}
        self.unthreaders: dict[str, set[str]] = {}  # `FUSE` -> {"nothreads"}
        for spec in table:
            if spec.unthreaded_by[0]:
                self.unthreaders.setdefault(last_name(spec.unthreaded_by[0]), set()).add(spec.unthreaded_by[1])
            if spec.call:
                self.calls.setdefault(last_name(spec.call.lstrip(".")), []).append(spec)
            for base in spec.bases:
                self.bases.setdefault(last_name(base), []).append(spec)
        #: names one of which a file must contain to hold an entry (the single-file path's byte check)
        self.evidence = tuple(sorted({*self.calls, *self.bases}))

    def call(self, call: ast.Call) -> Optional[Entry]:
        """The thread entry `call` makes, if any."""
        func = call.func
        if isinstance(func, ast.Attribute):
            name, receiver = func.attr, func.value
            if isinstance(receiver, ast.Name) and receiver.id in _NOT_EXECUTORS:
                return None
        elif isinstance(func, ast.Name):
            name, receiver = func.id, None
        else:
            return None
        for spec in self.calls.get(name, ()):
            if spec.call.startswith(".") and receiver is None:
                continue
            if receiver is not None and not spec.call.startswith(".") and spec.kind == "framework":
                module = spec.call.rsplit(".", 1)[0]  # `atexit.register`, not any `registry.register`
                if not (isinstance(receiver, (ast.Name, ast.Attribute)) and _last(receiver) == last_name(module)):
                    continue
            target = _argument(call, spec.arg, spec.keyword)
            if target is not None:
                return Entry(spec.label, target, spec.concurrent and not spec.holds)
        return None

    def class_rows(self, bases: list[str]) -> list[ThreadEntrySpec]:
        return [spec for base in bases for spec in self.bases.get(last_name(base), ())]


def _last(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr  # type: ignore[attr-defined]


def _argument(call: ast.Call, position: int, keyword: str) -> Optional[ast.expr]:
    if keyword:
        found = next((k.value for k in call.keywords if k.arg == keyword), None)
        if found is not None:
            return found
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


@lru_cache(maxsize=8)
def entries_for(extra: tuple[ThreadEntrySpec, ...] = ()) -> Entries:
    """The built-in rows and `extra` (users' `thread-entries`), indexed once per table."""
    return Entries(ENTRY_TABLE + extra)


def thread_entry(call: ast.Call) -> Optional[Entry]:
    """The built-in thread entry `call` makes, if any."""
    return entries_for().call(call)


#: base classes whose subclass's `run()` runs on a thread of its own
THREAD_BASES = frozenset({"Thread"})
#: calls that run an asyncio event loop in the calling thread (`asyncio.run(main())`,
#: `loop.run_until_complete(...)`, `loop.run_forever()`, `asyncio.Runner`)
LOOP_RUNNERS = frozenset({"run_until_complete", "run_forever", "Runner"})


def node_last_name(node: ast.expr) -> str:
    """The last component of a name or attribute chain (`b` of `a.b`), else ""."""
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
    elif node_last_name(func) not in LOOP_RUNNERS:
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
        name = node_last_name(value)
        if name.startswith("_") and not name.startswith("__") and isinstance(value, (ast.Name, ast.Attribute)):
            yield name


dotted = ast_dotted  # `a.b.c` for a name or attribute chain, else None (the index's modules import it from here)
