"""Happens-before through a readiness event the starter waits on (zeroconf's loop thread).

    def _start_thread(self):
        ready = threading.Event()
        def _run_loop():
            self.loop = asyncio.new_event_loop()   # written before the event is handed over
            self.engine.setup(self.loop, ready)    # ... which sets it once the loop runs
            self.loop.run_forever()
        threading.Thread(target=_run_loop).start()
        ready.wait()                               # the starter does not return before that

What the thread writes before it sets the event (or hands the event to code that will set
it) happens before the starter gets past its `wait()`; every caller-side access outside the
starter (made after the starter returned) and every access in it after the wait is ordered
with those writes. Only when every start of the entry is followed by a wait on the event,
and not for a write in a loop (the next round writes after the event is set).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import libcst as cst

from .event_order import WAIT, _calls_in, _siblings
from .lazyinit import walk_statements
from .names import dotted_name

_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def waited_after(start_path: Sequence[cst.CSTNode]) -> set[str]:
    """`X` of every `X.wait()` in the statements after the `start()` at the end of `start_path`."""
    return _calls_in(_siblings(start_path, after=True), WAIT)


def local_events(function: cst.FunctionDef, imports) -> set[str]:
    """Locals of `function` bound to `threading.Event()`."""
    found: set[str] = set()
    for node in walk_statements([function.body]):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            if (imports.qualify(node.value.func) or "") == "threading.Event":
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        found.add(target.target.value)
    return found


def published_before(path: Sequence[cst.CSTNode], events: Iterable[str]) -> bool:
    """Is the access at the end of `path` followed (not in a loop) by `ev.set()` or by a call
    handing `ev` on, for one of `events`?"""
    names = set(events)
    if not names or any(isinstance(node, _LOOPS) for node in path[1:-1]):
        return False
    for node in walk_statements(_siblings(path, after=True)):
        if not isinstance(node, cst.Call):
            continue
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "set":
            if dotted_name(node.func.value) in names:
                return True
        if any(dotted_name(arg.value) in names for arg in node.args):
            return True
    return False
