"""A timed `acquire()` of a lock bound below its use: the summary's acquire regions, settled at the end.

`filelock.FileLock(...).acquire(timeout=5)` raises instead of returning False, so the statements after
it hold the lock (`lock_names.py`). The summary walks the module once, so a method above `__init__` (or
a function above the global) meets the timed acquire before the binding says what the lock is. Such an
acquire is taken as holding, its lock ref tagged (`TAG`), and `settle` keeps it once the walk has seen
every binding only when the name is bound to nothing but locks whose acquire raises; a `threading` lock
bound there (its timed acquire may return False) holds nothing, as before.
"""

from __future__ import annotations

import ast
from typing import Callable, Union

from .acquire_held import acquire_map
from .lock_names import LockBindings, LockKinds

#: the third element of a lock ref held only if its acquire raises on failure (decided by `settle`)
TAG = "?"


def acquire_regions(function: ast.AST, locks: LockBindings, imports: dict[str, list]) -> dict[int, list[str]]:
    """`acquire_held.acquire_map` of `function`; a key held only by a timed acquire of a name not bound yet
    starts with `TAG`."""
    unknown = False

    def known(name: str) -> bool:
        return locks.kinds(imports).raises_on_failure(name) if locks.names or locks.attrs else False

    def hopeful(name: str) -> bool:
        nonlocal unknown
        last = name.rsplit(".", 1)[-1]
        if last not in locks.names and last not in locks.attrs:
            unknown = True
            return True  # settled at the end of the walk
        return known(name)

    found = acquire_map(function, hopeful)
    if not unknown:
        return found
    strict = acquire_map(function, known)
    merged: dict[int, list[str]] = {}
    for sid in {*found, *strict}:
        sure = strict.get(sid, [])
        merged[sid] = sure + [TAG + key for key in found.get(sid, ()) if key not in sure]
    return merged


def lock_ref(key: str, aliases: dict[str, str], make: Callable[[str, dict[str, str]], list]) -> list:
    """The lock ref of an acquire region's key (`make`: the summary's `_lock_ref`), tagged if it waits on `settle`."""
    if key.startswith(TAG):
        return [*make(key[len(TAG):], aliases), TAG]
    return make(key, aliases)


def settle(refs: Union[bool, list], kinds: LockKinds) -> Union[bool, list]:
    """Drop the tag of a ref whose name holds only locks whose acquire raises; drop the ref otherwise."""
    if isinstance(refs, bool):
        return refs
    kept = []
    for ref in refs:
        if len(ref) > 2:
            if ref[0] == "n" and kinds.raises_on_failure(ref[1]):
                kept.append(ref[:2])
        else:
            kept.append(ref)
    return kept


def settle_info(info: dict, kinds: LockKinds) -> None:
    """`settle` every lock list of one function's summary (`under`, `rmw`, `lazy`, walk facts)."""
    for row in info.get("under", ()):
        row[2] = settle(row[2], kinds)
    for key, column in (("rmw", 3), ("lazy", 3), ("walks", 3), ("sizes", 3)):
        for row in info.get(key, ()):
            row[column] = settle(row[column], kinds)
