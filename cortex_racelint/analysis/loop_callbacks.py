"""Callbacks handed to an event loop run on the loop's thread, not on the code that hands them over.

`loop.call_soon_threadsafe(self.m)`, `loop.call_soon`, `call_later`, `call_at`, tornado's and
pika's `add_callback`/`add_callback_threadsafe`/`add_timeout`: `m` runs later, on the thread that
runs the loop. Which thread that is, is read from where the class binds the loop attribute:

* bound by code a thread entry runs (`self._loop = asyncio.get_running_loop()` in the thread's
  `_serve()`, zeroconf's `self.loop = asyncio.new_event_loop()` in the loop thread): that entry;
* bound anywhere else (given to `__init__`, pika's resolver `self._loop = native_loop`): the
  owner's loop, the caller side.

Twisted's reactor is such a loop: `reactor.callFromThread(self.m)`, `callLater(delay, self.m)`
and `callWhenRunning(self.m)` run `m` on the reactor thread, the owner's side (the reactor is
bound at import, `from twisted.internet import reactor`, or given to `__init__`), not on the
thread handing it over (`project/event_loop.py` has the module-level model).

A loop reached through anything but `self.<attr>` or Twisted's `reactor` keeps the old reading
(the callback runs where the code handing it over runs).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

import libcst as cst

from .names import dotted_name

SCHEDULERS = frozenset(
    {
        "call_soon_threadsafe", "call_soon", "call_later", "call_at",
        "add_callback", "add_callback_threadsafe", "add_timeout", "add_callback_from_signal",
        *("callFromThread", "callLater", "callWhenRunning"),  # Twisted's reactor
    }
)
#: the name Twisted's global reactor goes by; a callback scheduled on it runs on the caller side
REACTOR = "reactor"


def scheduling_loop(path: Sequence[cst.CSTNode], self_name: str) -> Optional[str]:
    """The `self.<attr>` loop `path[-1]` (a method handed on as a value) is scheduled on, if any."""
    if len(path) < 3 or not isinstance(path[-2], cst.Arg) or not isinstance(path[-3], cst.Call):
        return None
    call = path[-3]
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in SCHEDULERS:
        return None
    receiver = dotted_name(call.func.value) or ""
    if receiver == REACTOR:
        return REACTOR  # no entry binds `self.reactor` to it: `loop_runner` answers the caller side
    head, _, attr = receiver.partition(".")
    if head != self_name or not attr or "." in attr:
        return None
    return attr


def loop_runner(
    attr: str,
    writers: Iterable[str],
    entries: Iterable[str],
    callees: Mapping[str, set[str]],
) -> Optional[str]:
    """The entry whose code binds `self.<attr>` (it runs the loop), or None (the caller side)."""
    writing = set(writers)
    for entry in sorted(entries):
        seen: set[str] = set()
        stack = [entry]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in writing:
                return entry
            stack.extend(callees.get(name, ()))
    return None
