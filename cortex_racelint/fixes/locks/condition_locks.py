"""What an existing lock really is before a fix takes it: a Condition's lock, or a hand-over.

A `threading.Condition(self.<lock>)` is that lock: what re-entering it and holding it mean.

`threading.Condition()` makes its own RLock, so taking it twice is safe; `Condition(self.lock)`
wraps the given lock instead, and with a plain `Lock` a thread that holds `self.lock` (by
`with self.lock:` or `self.lock.acquire()`) deadlocks on `with self.cond:` (paramiko's
`Transport.server_accept_cv` wraps its plain `self.lock`, which `_parse_channel_open_success()`
holds around `_log()`).

A lock one method acquires and leaves held, for another method (another thread) to release, is
a hand-over, not a mutex: sqlitedict's `SqliteMultithread.__init__` acquires `self._lock` and its
thread's `run()` releases it once connected, so the connecting code runs while it is held and
would wait forever for it. The lock-reuse check (`shared_fields.held_lock_conflict`) asks here.
"""

from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.file_writes import walk_all
from ...analysis.locks import call_factory

FactoryOf = Callable[[LintContext, object, str], Optional[str]]


def lock_identity(
    context: LintContext, calls, lock_attr: str, factory: Optional[str], factory_of: FactoryOf
) -> tuple[bool, tuple[str, ...], Optional[str]]:
    """(re-entrant, the attributes whose holders hold it, why it is a hand-over or None):
    `self.<lock_attr>` itself, and for a Condition over `self.<inner>` that inner lock too, whose
    kind decides re-entrancy."""
    inner = condition_base(calls, lock_attr) if factory == "threading.Condition" else None
    holders = (lock_attr,) if inner is None else (lock_attr, inner)
    kind = factory if inner is None else factory_of(context, calls, inner)
    return kind in ("threading.RLock", "threading.Condition"), holders, handed_over(calls, holders)


def handed_over(calls, holders: tuple[str, ...]) -> Optional[str]:
    """Why the lock is a hand-over between methods: one acquires it more often than it releases
    it and another releases more than it acquires (a latch one thread opens for another)."""
    balance: dict[str, int] = {}
    for method in calls.methods():
        params = method.params.params or method.params.posonly_params
        receiver = params[0].name.value if params else None
        for node in walk_all(method):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                step = {"acquire": 1, "release": -1}.get(node.func.attr.value, 0)
                if step and any(_attr_of(node.func.value, receiver, attr) for attr in holders):
                    balance[method.name.value] = balance.get(method.name.value, 0) + step
    taker = next((name for name, count in balance.items() if count > 0), None)
    giver = next((name for name, count in balance.items() if count < 0), None)
    if taker is None or giver is None:
        return None
    return (
        f"`{taker}()` acquires `self.{holders[-1]}` and leaves it held until `{giver}()` releases it: "
        "a hand-over between threads, not a mutex; code that runs meanwhile would wait for it forever"
    )


def condition_base(calls, lock_attr: str) -> Optional[str]:
    """`inner` when some method assigns `self.<lock_attr> = threading.Condition(self.<inner>)`."""
    for method in calls.methods():
        params = method.params.params or method.params.posonly_params
        receiver = params[0].name.value if params else None
        for node in walk_all(method):
            if not (isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) and node.value.args):
                continue
            if call_factory(node.value, calls.imports) != "threading.Condition":
                continue
            if not any(_attr_of(t.target, receiver, lock_attr) for t in node.targets):
                continue
            first = node.value.args[0].value
            if isinstance(first, cst.Attribute) and isinstance(first.value, cst.Name) and first.value.value == receiver:
                return first.attr.value
    return None


def _attr_of(node: cst.CSTNode, receiver: Optional[str], attr: str) -> bool:
    return (
        isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
        and node.value.value == receiver and node.attr.value == attr
    )
