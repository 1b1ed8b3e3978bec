"""Access kinds of `self.<attr>` uses and which pairs of kinds race (the CRL4 thread model's vocabulary)."""

from __future__ import annotations

CALLER = "caller"

#: access kinds (see the module docstring)
READ, WRITE, BINDING_RMW, MUTATE, CONTENTS_RMW, ITERATE = "R", "W", "B", "M", "C", "I"
CHANGES = frozenset({WRITE, BINDING_RMW, MUTATE, CONTENTS_RMW})

#: Methods that change a container in one call (atomic on free-threaded CPython).
MUTATORS = frozenset(
    {
        "append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft", "popitem",
        "remove", "discard", "add", "clear", "update", "setdefault", "sort", "reverse",
        "difference_update", "intersection_update", "symmetric_difference_update", "rotate",
        "__setitem__", "__delitem__",
    }
)

#: executor methods (their rows in `analysis.entry_table` say where the callable is)
_EXECUTOR_METHODS = {"submit": 0, "map": 0, "run_in_executor": 1}
#: receivers whose `.map(...)` is not an executor's (`str.map`, `itertools.map`, `builtins.map`)
NOT_EXECUTORS = frozenset({"map", "builtins", "itertools", "str", "dict"})
_ENTRY_LABELS = {
    "thread": "thread target",
    "timer": "timer callback",
    "executor": "executor task",
    "run": "thread",
    "nested": "thread target",
}
#: methods that run before the object is shared: `__init__`, and unittest's per-test set-up
_INIT_LIKE = frozenset({"__init__", "setUp", "asyncSetUp"})
# `_at_fork_reinit` (logging.Handler's, and any object's that copies the convention) runs in a
# forked child, where the forking thread is the only one: it races nothing of its own object
_NOT_CALLER_ROOTS = _INIT_LIKE | {"__new__", "__init_subclass__", "__class_getitem__", "__set_name__", "_at_fork_reinit"}


def _conflict(a: str, b: str) -> bool:
    """Do two access kinds on different threads race (without a common lock)?"""
    pair = {a, b}
    if WRITE in pair or BINDING_RMW in pair:
        return pair != {READ} and not (a == READ and b == READ)
    if CONTENTS_RMW in pair:
        return READ not in pair
    if MUTATE in pair:
        return ITERATE in pair
    return False
