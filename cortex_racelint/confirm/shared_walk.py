"""The two sides of a CRL406 reproducer: a walk and a size change on the object the whole process shares.

CRL405's walk family (`walk_races.py`) runs unchanged: it swaps the walked container for one whose walk
waits (the barrier hold) once its iterator is taken, and drives the changing method on another thread
meanwhile. What differs is the object and the other side. The object is the process-wide one the project
index found (`Finding.shared`: an accessor or global imported in the child, a hand-over's making call
replayed; `targets.instance_for`), never one built from the class: a fresh instance would not be the one the
thread entries share. The other side is not in a window of the finding (the two methods are reached from
different thread entries, possibly in other modules): it is the method the index found changing the
container's size (`SharedObject.methods`, filled by `analysis.shared_objects.walk_object`).
"""

from __future__ import annotations

from ..ftypes import Finding
from .spec import NotRunnable


def shared_walk_other(finding: Finding, function: str) -> str:
    """`Class.method` changing the walked container's size on another thread (`function` walks it)."""
    shared = finding.shared
    if shared is None or not shared.methods:
        raise NotRunnable("the finding names no method changing the container's size (no shared-object data)")
    owner = function.split(".", 1)[0]
    return f"{owner}.{shared.methods[0]}"


__all__ = ["shared_walk_other"]
