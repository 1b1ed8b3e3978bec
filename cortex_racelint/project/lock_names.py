"""Which names the summary counts as locks: named like one, or bound to a lock constructor.

The rules ask `analysis.locks.LockAnalysis.is_lock` (LibCST): a name is a lock when it looks like
one (`_lock`, `db_mutex`) or when the module binds it to a call of `analysis.locks.LOCK_FACTORIES`
(`_l = threading.Lock()` at module or class level, `self._x = threading.RLock()` anywhere). The
summary walks `ast` once, so a `with x:` can come before `x = threading.Lock()` (a method above
`__init__`, a function above the global): every dotted `with` item is recorded as a candidate and
resolved here once the walk has seen every binding, against the same constructor list, so the
summary and the rules agree on what a lock is.

A lock of another module (`with monitor.gate:` where `monitor.py` binds `self.gate =
threading.Lock()`, `with locks.gate:`) cannot be decided here: a call made under it keeps the ref
(`elsewhere`), and the join asks the module defining it, whose summary lists its `locks`.

`filelock.FileLock(...).acquire(timeout=5)` raises `Timeout` instead of returning False, so a timed
acquire used as a statement holds the lock when it returns (`RAISING_ACQUIRE_FACTORIES`). The
acquire regions are computed while the walk is under way: a name not bound yet is taken as holding,
tagged, and settled once every binding is known (`timed_acquire.py`).
"""

from __future__ import annotations

from typing import Optional, Union

from ..analysis.locks import LOCK_FACTORIES, RAISING_ACQUIRE_FACTORIES, looks_like_lock_name


def qualify(called: str, imports: dict[str, list]) -> Optional[str]:
    """`threading.Lock` for `Lock` (`from threading import Lock`) or `th.Lock` (`import threading as th`);
    None for a name the module does not import (its own classes, relative imports)."""
    head, _, rest = called.partition(".")
    found = imports.get(head)
    if found is None or found[0]:
        return None
    base = f"{found[1]}.{found[2]}" if found[2] else found[1]
    return f"{base}.{rest}" if rest else base


class LockBindings:
    """The constructors bound to module/class-level names and to attributes, as written."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = {}  # `_l = threading.Lock()` (module or class body, `global`)
        self.attrs: dict[str, set[str]] = {}  # `self._l = threading.Lock()`, `obj.x = ...`

    def bind(self, target: str, called: str, attribute: bool) -> None:
        (self.attrs if attribute else self.names).setdefault(target, set()).add(called)

    def kinds(self, imports: dict[str, list]) -> "LockKinds":
        """The lock names and attributes, and which of them only ever hold a lock whose acquire raises."""
        kinds = LockKinds()
        for table, attribute in ((self.names, False), (self.attrs, True)):
            for target, calls in table.items():
                factories = {qualify(called, imports) for called in calls}
                if not factories & LOCK_FACTORIES:
                    continue
                (kinds.attrs if attribute else kinds.names).add(target)
                if not attribute:
                    kinds.attrs.add(target)  # a class attribute, read as `self._l` (as the rules do)
                if factories <= RAISING_ACQUIRE_FACTORIES:
                    kinds.raising.add(target)
                else:
                    kinds.plain.add(target)
        return kinds


class LockKinds:
    """The resolved answer: `is_lock` for a name as written, `raises_on_failure` for its acquire."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.attrs: set[str] = set()
        self.raising: set[str] = set()
        self.plain: set[str] = set()

    def is_lock(self, name: str) -> bool:
        """As `LockAnalysis.is_lock` on a dotted name: lock-named, a bound name, or a bound attribute."""
        last = name.rsplit(".", 1)[-1]
        if looks_like_lock_name(last):
            return True
        return last in self.attrs if "." in name else name in self.names

    def raises_on_failure(self, name: str) -> bool:
        last = name.rsplit(".", 1)[-1]
        return last in self.raising and last not in self.plain

    def is_lock_ref(self, ref: list) -> bool:
        """For a summary lock ref: ["n", "self._l"] or ["r", "get_monitor|lock"] (an attribute)."""
        kind, text = ref[0], ref[1]
        return self.is_lock("x." + text.partition("|")[2] if kind == "r" else text)


def elsewhere(ref: list, imports: dict[str, list]) -> bool:
    """A lock ref another module may define (an attribute of an object that is not `self`/`cls`,
    an imported name): kept in `under` for the join to decide."""
    kind, text = ref[0], ref[1]
    head, _, rest = text.partition(".")
    return kind == "r" or (bool(rest) and head not in ("self", "cls")) or head in imports


def resolve_locked(value: Union[bool, list], kinds: LockKinds) -> bool:
    """An update's `locked`: the candidate refs held around it, resolved."""
    if isinstance(value, bool):
        return value
    return any(kinds.is_lock_ref(ref) for ref in value)
