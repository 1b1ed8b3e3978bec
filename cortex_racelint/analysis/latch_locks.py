"""A lock handed over to a thread as a latch: what the thread runs before releasing it is held.

sqlitedict's `SqliteMultithread.__init__` acquires `self._lock`, then starts the thread; the
thread's `run()` connects (`_connect()` writes `self.exception` on failure) and releases the lock
in a `finally`; `check_raise_error()` reads `self.exception` under `with self._lock:`. From the
acquire to that release the lock is held for the thread, so the connecting code is as exclusive
as a `with` block: the reader cannot be inside its own `with` meanwhile.

Modelled only where that is sound:

* the attribute is only ever assigned a lock another thread may release (`threading.Lock`,
  `_thread.allocate_lock`, a `Semaphore`: not an `RLock`, whose owner alone releases it);
* exactly one method leaves it acquired (more bare `acquire()` calls than `release()` calls),
  with a blocking `acquire()` that runs before the thread is started (in the entry's ordered set);
* exactly one method releases more than it acquires, it is that thread's entry, the entry runs
  on one thread at a time, and its single release is neither in a loop nor in a local def.

The statements before that release (and a `try` body whose `finally` releases it) then run
holding the lock; calls made there pass it on to private helpers as any held lock does.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import libcst as cst

from .access_kinds import CHANGES
from .locks import call_factory
from .thread_syntax import _LOOPS

#: locks any thread may release (a latch); an RLock is released by its owner only
_HANDOVER_FACTORIES = frozenset(
    {"threading.Lock", "_thread.allocate_lock", "threading.Semaphore", "threading.BoundedSemaphore"}
)

Sites = Sequence[tuple[str, set[int]]]


def apply_latches(raw: list, calls: list, entries: Mapping, ordered: Mapping[str, Sites], imports) -> None:
    """Add a handed-over lock to the accesses and calls its thread makes before releasing it.

    Read from the class's collected accesses (`raw`, `_Call`s): no walk of its own."""
    latches = latch_holds(raw, entries, ordered, imports)
    if not latches:
        return
    for item in list(raw) + list(calls):
        held = {key for key, ids in latches.get(item.region, ()) if any(id(n) in ids for n in item.path)}
        if held:
            item.locks = frozenset(item.locks) | held


def latch_holds(raw: Sequence, entries: Mapping, ordered: Mapping[str, Sites], imports) -> dict[str, list[tuple[str, set[int]]]]:
    """Per region: (`self.<lock>`, ids of the statements that run while the latch is held)."""
    factories: dict[str, set[Optional[str]]] = {}
    balance: dict[tuple[str, str], int] = {}  # (attr, region) -> acquires - releases
    sites: dict[tuple[str, str, str], list[Sequence[cst.CSTNode]]] = {}  # (attr, region, verb) -> paths
    for access in raw:
        path = access.path
        parent = path[-2] if len(path) >= 2 else None
        owner = path[-3] if len(path) >= 3 else None
        if access.kind in CHANGES and not isinstance(parent, cst.Attribute):
            # a binding of `self.<attr>`: only `self.<attr> = <lock factory>()` keeps it a latch candidate
            assigned = isinstance(parent, cst.AssignTarget) and isinstance(owner, cst.Assign) and isinstance(owner.value, cst.Call)
            factories.setdefault(access.attr, set()).add(call_factory(owner.value, imports) if assigned else None)  # type: ignore[union-attr]
            continue
        if not (isinstance(parent, cst.Attribute) and parent.value is access.node and isinstance(owner, cst.Call) and owner.func is parent):
            continue
        verb = parent.attr.value
        if verb in ("acquire", "release"):
            key = (access.attr, access.region)
            balance[key] = balance.get(key, 0) + (1 if verb == "acquire" else -1)
            sites.setdefault((access.attr, access.region, verb), []).append(path[:-2])  # to the call
    result: dict[str, list[tuple[str, set[int]]]] = {}
    for attr, kinds in factories.items():
        if not kinds or not kinds <= _HANDOVER_FACTORIES:
            continue
        takers = [r for (a, r), n in balance.items() if a == attr and n > 0]
        givers = [r for (a, r), n in balance.items() if a == attr and n < 0]
        if len(takers) != 1 or len(givers) != 1:
            continue
        taker, giver = takers[0], givers[0]
        entry = entries.get(giver)
        if entry is None or entry.multi or "<locals>" in giver:
            continue
        acquires = sites.get((attr, taker, "acquire"), [])
        if not acquires or not all(_blocking(path[-1]) and _ordered(path, taker, ordered.get(giver, ())) for path in acquires):
            continue
        releases = sites.get((attr, giver, "release"), [])
        if len(releases) != 1 or sites.get((attr, giver, "acquire")):
            continue
        held = _held_before(list(releases[0]))
        if held:
            result.setdefault(giver, []).append((f"self.{attr}", held))
    return result


def _blocking(call: cst.CSTNode) -> bool:
    """`acquire()` / `acquire(True)`: it returns holding the lock (a timed or non-blocking one may not)."""
    args = call.args if isinstance(call, cst.Call) else ()
    return not args or (len(args) == 1 and args[0].keyword is None and isinstance(args[0].value, cst.Name) and args[0].value.value == "True")


def _ordered(path: list[cst.CSTNode], region: str, sites: Sites) -> bool:
    return any(name == region and any(id(node) in ids for node in path) for name, ids in sites)


def _held_before(path: list[cst.CSTNode]) -> set[int]:
    """Statements that run before the release at `path[-1]` on the thread: earlier siblings in
    each enclosing block, and the body/handlers/else of a `try` whose `finally` releases."""
    ids: set[int] = set()
    for index in range(len(path) - 2, 0, -1):
        node = path[index]
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) or isinstance(node, _LOOPS):
            return set()  # runs whenever called / again each iteration: not a one-shot latch
        if isinstance(node, cst.IndentedBlock):
            child = path[index + 1]
            for stmt in node.body:
                if stmt is child:
                    break
                ids.add(id(stmt))
        if isinstance(node, cst.Try) and node.finalbody is not None and path[index + 1] is node.finalbody:
            blocks = [node.body] + [h.body for h in node.handlers] + ([node.orelse.body] if node.orelse else [])
            ids.update(id(stmt) for block in blocks for stmt in block.body)
    return ids
