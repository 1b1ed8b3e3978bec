"""One lock per object, whichever fixes of a run (or of earlier runs) ask for it.

The shared-field fixes (CRL401/CRL405) put a copyable object's new lock in the class body
(`_lock = threading.Lock()`, read as `self._lock`); the file-write fix (CRL301) puts it in
`__init__` (`self._lock = threading.Lock()`). Both are planned against the same source, so one
run fixing both on one class would add both: the instance lock shadows the class one, which is
then dead code that reads like a second lock. Two rules keep it one lock:

- in a run, the class-body form of the object lock yields to the instance form of the same name
  (`drop_shadowed_object_locks`; also to the same class-body line planned by another fix): every site already reads `self.<name>`, and at runtime the
  instance attribute is the one they get, so nothing guarded changes;
- in a later run, a class-body lock with a name the planner gives object locks (`_lock`,
  `_mutex`, `_lock_2`, ...) is the object's lock: a new fix reuses it as `self.<name>`
  (`class_body_object_lock`) instead of adding a second one beside it.
"""

from __future__ import annotations

import re
from typing import Iterator, Optional, Sequence, TypeVar

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.locks import MUTEX_FACTORIES, call_factory

OBJECT_LOCK_PREFIX = "objlock:"
_SAME_LOCK_PREFIXES = ("instlock:", "classlock:")
_OBJECT_LOCK_NAME = re.compile(r"_lock(_\d+)?|_mutex")

Edit = TypeVar("Edit")


def object_lock_key(class_node: cst.ClassDef, name: str) -> str:
    """The edit key of an object lock placed in the class body."""
    return f"{OBJECT_LOCK_PREFIX}{class_node.name.value}.{name}"


def drop_shadowed_object_locks(edits: Sequence[Edit]) -> list[Edit]:
    """`edits` without a class-body object lock that another edit of the same run adds under the
    same class and name: an instance lock (which would shadow it) or the same class-body line."""
    keys = {getattr(edit, "key", "") for edit in edits}
    instance = {key.split(":", 1)[1] for key in keys if key.startswith(_SAME_LOCK_PREFIXES)}
    return [
        edit
        for edit in edits
        if not (
            getattr(edit, "key", "").startswith(OBJECT_LOCK_PREFIX)
            and getattr(edit, "key")[len(OBJECT_LOCK_PREFIX) :] in instance
        )
    ]


def class_body_object_lock(context: LintContext, class_node: cst.ClassDef) -> Optional[str]:
    """The name of a mutex the class body creates under an object-lock name, if any.

    Only the planner's names count: a class-body `_instance_lock` guards the singleton's
    creation (held in `__new__`), not the object's state, and is not reused for it.
    """
    return next((name for name in class_body_mutexes(context, class_node) if _OBJECT_LOCK_NAME.fullmatch(name)), None)


def class_body_mutexes(context: LintContext, class_node: cst.ClassDef) -> Iterator[str]:
    """The names the class body binds to a mutex (`_lock = threading.Lock()`), in source order."""
    if not isinstance(class_node.body, cst.IndentedBlock):
        return
    for stmt in class_node.body.body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and call_factory(small.value, context.imports) in MUTEX_FACTORIES:
                yield from (t.target.value for t in small.targets if isinstance(t.target, cst.Name))
