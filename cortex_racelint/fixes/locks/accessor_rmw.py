"""Whether a read-modify-write through a locked property may be held under the object's lock.

`self.count += 1`, where the getter and the setter of `count` each take `self._lock`, is made
atomic by holding `self._lock` around the whole statement: the accessors then take it again
inside. An `RLock` (or `Condition`) is re-entered safely; a plain `Lock` would deadlock the
first call, so no fix is offered and the reason says what to do by hand.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ...analysis.context import LintContext
from .shared_fields import _holding_blocks, _lock_factory, _receiver, object_calls

_REENTRANT = ("threading.RLock", "threading.Condition")


def accessor_rmw_reason(
    context: LintContext, class_node: cst.ClassDef, attr: str, accessors: Sequence[cst.FunctionDef], lock: cst.BaseExpression
) -> Optional[str]:
    """Why holding `lock` around `self.<attr> += ...` would deadlock in the property's accessors, or None."""
    if not isinstance(lock, cst.Attribute):
        return None
    lock_attr = lock.attr.value
    calls = object_calls(context, class_node)
    if _lock_factory(context, calls, lock_attr) in _REENTRANT:
        return None
    for accessor in accessors:
        if any(True for _ in _holding_blocks(accessor, {_receiver(accessor), *calls.classes}, (lock_attr,))):
            return (
                f"`{attr}` is a property whose getter and setter each take `self.{lock_attr}`, a plain Lock: "
                "holding it around the read-modify-write would take it twice and deadlock (make it an RLock, "
                "or give the class a method that does the update under the lock, by hand)"
            )
    return None
