"""Properties whose getter and setter each take a lock: `self.p += 1` through them is not atomic.

`self.count += 1` on such a property runs the getter (lock taken, value read, lock released),
adds, then runs the setter (lock taken again, value stored): two threads both read 5 and both
store 6. Each call on its own is atomic, so only a read-modify-write through the property
races (`analysis.thread_model`); a property whose accessors lock nothing is analysed through
the attributes they touch, as any method is.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from .context import LintContext
from .names import dotted_name
from .thread_syntax import _walk, self_name


def locked_accessor(context: LintContext, defs: Sequence[cst.FunctionDef]) -> bool:
    """A getter and a setter, each touching `self` state only while holding a lock."""
    getters = [d for d in defs if _decorated(d, "property")]
    setters = [d for d in defs if _decorated(d, "setter")]
    return bool(getters and setters) and all(_locked_body(context, d) for d in (*getters, *setters))


def _decorated(function: cst.FunctionDef, last: str) -> bool:
    return any((dotted_name(d.decorator) or "").rsplit(".", 1)[-1] == last for d in function.decorators)


def _locked_body(context: LintContext, function: cst.FunctionDef) -> bool:
    """Every `self.<attr>` in the function (but the lock itself) is under a lock, and there is one."""
    receiver = self_name(function)
    seen = False
    for node, path in _walk(function.body, [function], set()):
        if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == receiver):
            continue
        if context.locks.is_lock(node):
            continue
        if not context.locks.locks_held(path):
            return False
        seen = True
    return seen
