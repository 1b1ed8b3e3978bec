"""Which expressions are locks, and which locks are held at a point in the tree.

Every rule asks the same two questions: "is this expression a lock?" and "is this
statement guarded, and by what?". Answering them here keeps the rules consistent:
a lock form taught to this module (a new factory, `acquire()`/`release()` pairs)
is understood by every rule at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import libcst as cst

from .lock_wrappers import synchronized_functions
from .names import ImportMap, dotted_name
from .traverse import walk

#: Constructors whose result serialises threads when held in a `with` block.
LOCK_FACTORIES = frozenset(
    {
        "threading.Lock",
        "threading.RLock",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Condition",
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "_thread.allocate_lock",
        "_thread.RLock",
        "filelock.FileLock",
    }
)

#: Objects that are safe to share through their own methods (no lock needed).
THREAD_SAFE_FACTORIES = LOCK_FACTORIES | frozenset(
    {
        "threading.Event",
        "threading.Barrier",
        "threading.local",
        "threading.Thread",
        "threading.Timer",
        "queue.Queue",
        "queue.SimpleQueue",
        "queue.LifoQueue",
        "queue.PriorityQueue",
        "multiprocessing.Queue",
        "multiprocessing.Event",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
        "collections.deque",
    }
)

_LOCKISH_NAME = re.compile(r"(^|_)(r?lock|mutex|mtx|cond|condition|sem|semaphore|guard)$", re.IGNORECASE)
_LOCKISH_SUFFIX = re.compile(r"(lock|mutex)$", re.IGNORECASE)


def looks_like_lock_name(name: str) -> bool:
    """Names people give locks (`_lock`, `cache_lock`, `db_mutex`, `_cond`, `Lock`)."""
    last = name.rsplit(".", 1)[-1]
    return bool(_LOCKISH_NAME.search(last) or _LOCKISH_SUFFIX.search(last))


@dataclass
class LockInventory:
    """Names bound to lock objects anywhere a rule may see them used."""

    module_locks: set[str] = field(default_factory=set)  # `_lock = threading.Lock()`
    attribute_locks: set[str] = field(default_factory=set)  # `self._lock = ...`, class attrs
    thread_safe_attributes: set[str] = field(default_factory=set)  # Event, Queue, ...
    #: id(function) -> the lock a wrapper holds around every call of it (`analysis.lock_wrappers`)
    synchronized: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, module: cst.Module, imports: ImportMap) -> "LockInventory":
        inventory = cls()
        collector = _InventoryCollector(inventory, imports)
        walk(module, collector.on_visit, collector.on_leave)
        inventory.synchronized = synchronized_functions(module)
        return inventory


class _InventoryCollector:
    def __init__(self, inventory: LockInventory, imports: ImportMap) -> None:
        self.inventory = inventory
        self.imports = imports
        self.depth = 0  # function nesting; 0 is module or class body

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self.depth += 1
        elif isinstance(node, cst.Assign):
            self._record([t.target for t in node.targets], node.value)
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            self._record([node.target], node.value)
        # locks are made by statements, never inside expressions: do not descend into them
        return not isinstance(node, cst.BaseExpression)

    def on_leave(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            self.depth -= 1

    def _record(self, targets: Sequence[cst.BaseExpression], value: cst.BaseExpression) -> None:
        factory = call_factory(value, self.imports)
        if factory is None:
            return
        is_lock = factory in LOCK_FACTORIES
        is_safe = factory in THREAD_SAFE_FACTORIES
        for target in targets:
            if isinstance(target, cst.Name) and self.depth == 0:
                if is_lock:
                    self.inventory.module_locks.add(target.value)
                    self.inventory.attribute_locks.add(target.value)  # class body attribute
                if is_safe:
                    self.inventory.thread_safe_attributes.add(target.value)
            elif isinstance(target, cst.Attribute):
                if is_lock:
                    self.inventory.attribute_locks.add(target.attr.value)
                if is_safe:
                    self.inventory.thread_safe_attributes.add(target.attr.value)


def call_factory(value: cst.BaseExpression, imports: ImportMap) -> Optional[str]:
    """Qualified name of the callee when `value` is a call, else None."""
    if isinstance(value, cst.Call):
        return imports.qualify_call(value)
    return None


class LockAnalysis:
    """Answers lock questions for one module."""

    def __init__(self, imports: ImportMap, inventory: LockInventory) -> None:
        self.imports = imports
        self.inventory = inventory
        #: id(statement list) -> (the list, id(statement) -> index, locks held before each index);
        #: the list itself is kept so its id cannot be reused by another list while cached
        self._held_before: dict[int, tuple[Sequence[cst.CSTNode], dict[int, int], list[tuple[str, ...]]]] = {}

    def is_lock_factory_call(self, node: cst.BaseExpression) -> bool:
        return call_factory(node, self.imports) in LOCK_FACTORIES

    def is_lock(self, node: cst.BaseExpression) -> bool:
        """Is `node` (a `with` item or an `acquire()` receiver) a lock?"""
        if isinstance(node, cst.Call):
            if self.is_lock_factory_call(node):
                return True
            # `with lock_for(path):`, `with self._locks[key]:` style helpers
            name = dotted_name(node.func)
            return bool(name and looks_like_lock_name(name.replace("_for", "")))
        if isinstance(node, cst.Subscript):
            return self.is_lock(node.value)
        name = dotted_name(node)
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1]
        if "." not in name and name in self.inventory.module_locks:
            return True
        if "." in name and last in self.inventory.attribute_locks:
            return True
        return looks_like_lock_name(name)

    def lock_key(self, node: cst.BaseExpression) -> str:
        """A stable name for "which lock" (`self._lock`, `_cache_lock`)."""
        if isinstance(node, cst.Call):
            name = dotted_name(node.func)
            return f"{name}()" if name else "<call>"
        if isinstance(node, cst.Subscript):
            return self.lock_key(node.value) + "[]"
        return dotted_name(node) or "<expr>"

    def locks_held(self, path: Sequence[cst.CSTNode]) -> list[str]:
        """Locks held at `path[-1]`, given the chain of ancestors from the module down; a function a
        wrapper runs under a lock (`@synchronized`) holds it in its body, not in a def or lambda nested there."""
        held: list[str] = []
        wrapper: Optional[str] = None  # the innermost function's
        for index, ancestor in enumerate(path[:-1]):
            child = path[index + 1]
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                key = self.inventory.synchronized.get(id(ancestor))
                wrapper = key if child is ancestor.body else None
            elif isinstance(ancestor, cst.With) and child is ancestor.body:
                for item in ancestor.items:
                    if self.is_lock(item.item):
                        held.append(self.lock_key(item.item))
            elif isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
                held.extend(self._acquired_before(ancestor.body, child))
            elif isinstance(ancestor, cst.Try) and child is ancestor.body:
                held.extend(self._released_in_finally(ancestor))
        if wrapper is not None:
            held.append(wrapper)
        return held

    def _released_in_finally(self, node: cst.Try) -> list[str]:
        """`try: ... finally: lock.release()` with the acquire inside the try body."""
        if node.finalbody is None:
            return []
        released = [key for key, verb in _lock_calls(node.finalbody.body.body, self) if verb == "release"]
        acquired = [key for key, verb in _lock_calls(node.body.body[:1], self) if verb == "acquire"]
        return [key for key in released if key in acquired]

    def _acquired_before(self, body: Sequence[cst.CSTNode], child: cst.CSTNode) -> list[str]:
        """Locks acquired by earlier sibling statements and not yet released.

        Every statement of a block asks this question about the same siblings, so the
        answers for the whole block are computed once: rescanning the earlier statements
        per query made a module of n racy functions cost n² scans.
        """
        cached = self._held_before.get(id(body))
        if cached is None or cached[0] is not body:
            cached = (body, *self._scan_block(body))
            self._held_before[id(body)] = cached
        _, index, held = cached
        return list(held[index.get(id(child), len(body))])

    def _scan_block(self, body: Sequence[cst.CSTNode]) -> tuple[dict[int, int], list[tuple[str, ...]]]:
        """`id(stmt) -> index` (first occurrence) and the locks held before each index (and after the last)."""
        index: dict[int, int] = {}
        held: list[tuple[str, ...]] = []
        balance: dict[str, int] = {}
        current: tuple[str, ...] = ()
        for position, stmt in enumerate(body):
            index.setdefault(id(stmt), position)
            held.append(current)
            calls = _lock_calls([stmt], self)
            if calls:
                for key, verb in calls:
                    balance[key] = balance.get(key, 0) + (1 if verb == "acquire" else -1)
                current = tuple(key for key, count in balance.items() if count > 0)
        held.append(current)
        return index, held

    def is_guarded(self, path: Sequence[cst.CSTNode]) -> bool:
        return bool(self.locks_held(path))


def _lock_calls(statements: Sequence[cst.CSTNode], analysis: LockAnalysis) -> list[tuple[str, str]]:
    """`(lock, "acquire"|"release")` for bare `x.acquire()` / `x.release()` statements, and for the
    conditional spelling `if x is not None: x.acquire()` (tqdm's optional lock): when the test is the
    lock's own presence, the statements after it hold the lock whenever there is one."""
    calls: list[tuple[str, str]] = []
    for stmt in statements:
        if isinstance(stmt, cst.If):
            stmt = _presence_guarded(stmt)  # type: ignore[assignment]
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
                continue
            func = small.value.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("acquire", "release"):
                if analysis.is_lock(func.value):
                    calls.append((analysis.lock_key(func.value), func.attr.value))
    return calls


def _presence_guarded(node: cst.If) -> Optional[cst.SimpleStatementLine]:
    """The one-line body of `if x is not None: x.acquire()` (or `if x: x.release()`), no `else`,
    when the test is the presence of the very receiver the body acquires or releases."""
    if isinstance(node.body, cst.SimpleStatementSuite):  # `if x: x.acquire()` on one line
        line = cst.SimpleStatementLine(body=node.body.body)
    elif len(node.body.body) == 1 and isinstance(node.body.body[0], cst.SimpleStatementLine):
        line = node.body.body[0]
    else:
        return None
    if node.orelse is not None or len(line.body) != 1 or not isinstance(line.body[0], cst.Expr) or not isinstance(line.body[0].value, cst.Call):
        return None
    func = line.body[0].value.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("acquire", "release"):
        return None
    test = node.test
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if not (isinstance(comparison.operator, cst.IsNot) and dotted_name(comparison.comparator) == "None"):
            return None
        test = test.left
    subject = dotted_name(test)
    return line if subject is not None and subject == dotted_name(func.value) else None
