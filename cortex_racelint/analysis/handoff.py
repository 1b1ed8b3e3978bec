"""Happens-before through a hand-off: what a method does before it schedules a callback
(`loop.add_callback(self._dispatch)`, `call_soon_threadsafe`) happens before the callback runs.

Like `Thread.start()`, handing a callable to an event loop publishes every change made before
the hand-off. An access precedes the hand-off when it is in a statement before it (in a block
that encloses it) or in the header of a compound statement around it (`if self._state == ACTIVE:
loop.add_callback(...)` reads the state first). Not across a loop: the next iteration's access
runs after the hand-off.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def precedes(first: Sequence[cst.CSTNode], call: Sequence[cst.CSTNode]) -> bool:
    """Does the node at the end of `first` run before the call at the end of `call` (same function)?"""
    if not first or not call or first[0] is not call[0]:
        return False
    depth = 0
    while depth < min(len(first), len(call)) and first[depth] is call[depth]:
        depth += 1
    if depth >= len(call):
        return True  # inside the hand-off call: its receiver and arguments are evaluated first
    if depth >= len(first):
        return False
    common = first[: depth]
    if any(isinstance(node, _LOOPS) for node in common[1:]):
        return False
    parent, a, b = common[-1], first[depth], call[depth]
    if isinstance(parent, cst.IndentedBlock):
        body = list(parent.body)
        return body.index(a) < body.index(b)
    if isinstance(parent, (cst.If, cst.While)):
        return a is parent.test and b is not parent.test
    if isinstance(parent, cst.With):
        return a in parent.items and b is parent.body
    if isinstance(parent, cst.SimpleStatementLine):
        body = list(parent.body)
        return a in body and b in body and body.index(a) < body.index(b)
    return False
