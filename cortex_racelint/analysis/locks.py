"""Which expressions are locks, and which locks are held at a point in the tree.

Every rule asks the same two questions: "is this expression a lock?" and "is this
statement guarded, and by what?". Answering them here keeps the rules consistent:
a lock form taught to this module (a new factory, `acquire()`/`release()` pairs)
is understood by every rule at once.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Optional, Sequence

import libcst as cst

from .acquire_regions import UNKNOWN, Regions, blocking, combine, held as acquired
from .deferred_defs import runs_later
from .lock_wrappers import synchronized_functions
from .names import ImportMap, dotted_name
from .traverse import node_types, walk

#: the factories of a lock that excludes (not a Semaphore): what a fix may take as the object's mutex
MUTEX_FACTORIES = frozenset({"threading.Lock", "threading.RLock", "threading.Condition", "_thread.allocate_lock"})
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
        "filelock.SoftFileLock",
    }
)

#: Locks whose `acquire()` raises on failure (`filelock.Timeout`) instead of returning False: a timed or
#: non-blocking acquire used as a statement holds the lock when it returns.
RAISING_ACQUIRE_FACTORIES = frozenset({"filelock.FileLock", "filelock.SoftFileLock"})

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
    #: the last names bound to a lock whose acquire raises on failure (filelock), and to any other lock
    raising_locks: set[str] = field(default_factory=set)
    plain_locks: set[str] = field(default_factory=set)
    #: id(function) -> the lock a wrapper holds around every call of it (`analysis.lock_wrappers`)
    synchronized: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, module: cst.Module, imports: ImportMap) -> "LockInventory":
        inventory = cls()
        collector = _InventoryCollector(inventory, imports)
        walk(module, collector.on_visit, collector.on_leave)
        inventory.synchronized = synchronized_functions(module)
        return inventory


#: locks are made by statements, never inside expressions: the walk does not descend into these
_EXPRESSIONS = node_types(cst.BaseExpression)


class _InventoryCollector:
    def __init__(self, inventory: LockInventory, imports: ImportMap) -> None:
        self.inventory = inventory
        self.imports = imports
        self.depth = 0  # function nesting; 0 is module or class body

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = type(node)  # exact types: LibCST's node classes are ABCs, slow to `isinstance`
        if kind is cst.FunctionDef:
            self.depth += 1
        elif kind is cst.Assign:
            self._record([t.target for t in node.targets], node.value)  # type: ignore[attr-defined]
        elif kind is cst.AnnAssign and node.value is not None:  # type: ignore[attr-defined]
            self._record([node.target], node.value)  # type: ignore[attr-defined]
        # locks are made by statements, never inside expressions: do not descend into them
        return kind not in _EXPRESSIONS

    def on_leave(self, node: cst.CSTNode) -> None:
        if type(node) is cst.FunctionDef:
            self.depth -= 1

    def _record(self, targets: Sequence[cst.BaseExpression], value: cst.BaseExpression) -> None:
        factory = call_factory(value, self.imports)
        if factory is None:
            return
        is_lock = factory in LOCK_FACTORIES
        is_safe = factory in THREAD_SAFE_FACTORIES
        for target in targets:
            last = target.value if isinstance(target, cst.Name) else target.attr.value if isinstance(target, cst.Attribute) else None
            if is_lock and last is not None:
                (self.inventory.raising_locks if factory in RAISING_ACQUIRE_FACTORIES else self.inventory.plain_locks).add(last)
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
        self.syntax = _CstSyntax(self)
        self.regions: Regions[cst.CSTNode] = Regions(self.syntax)

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

    def raises_on_failure(self, node: cst.BaseExpression) -> bool:
        """`node` is only ever bound to a lock whose acquire raises instead of returning False (filelock):
        a timed `acquire(timeout=5)` that returns holds it."""
        name = dotted_name(node)
        last = name.rsplit(".", 1)[-1] if name else None
        return last in self.inventory.raising_locks and last not in self.inventory.plain_locks

    def lock_key(self, node: cst.BaseExpression) -> str:
        """A stable name for "which lock" (`self._lock`, `_cache_lock`)."""
        if isinstance(node, cst.Call):
            name = dotted_name(node.func)
            return f"{name}()" if name else "<call>"
        if isinstance(node, cst.Subscript):
            return self.lock_key(node.value) + "[]"
        return dotted_name(node) or "<expr>"

    def locks_held(self, path: Sequence[cst.CSTNode]) -> list[str]:
        """Locks held at `path[-1]`, given the chain of ancestors from the module down. Holding stops at
        a nested def or lambda that runs later (a callback: handed on, decorated; `deferred_defs.py`),
        not under the `with` around its definition (its decorators and defaults do run there). A function a
        wrapper runs under a lock (`@synchronized`) holds it in its body, not in a def or lambda nested there.
        `acquire()`/`release()` regions follow `analysis.acquire_regions`."""
        held: list[str] = []
        counts: dict[str, int] = {}  # acquire regions: net acquires on the way down
        order: list[str] = []  # the keys counts holds, outermost first
        wrapper: Optional[str] = None  # the innermost function's
        for index, ancestor in enumerate(path[:-1]):
            child = path[index + 1]
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                key = self.inventory.synchronized.get(id(ancestor))
                wrapper = key if child is ancestor.body else None
                if child is ancestor.body and (held or counts) and runs_later(path, index):
                    held, counts, order = [], {}, []  # a callback runs later, not under the lock around its def
            elif isinstance(ancestor, cst.With) and child is ancestor.body:
                for item in ancestor.items:
                    if self.is_lock(item.item):
                        held.append(self.lock_key(item.item))
            elif isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
                counts = combine(counts, self.regions.before(ancestor.body, child))
                order = _outermost_first(order, counts)
            elif isinstance(ancestor, cst.If) and child is ancestor.body:
                guard = self.syntax.guard(ancestor)
                if guard is not None and guard[1] == "body":  # `if lock.acquire(blocking=False):`
                    counts = combine(counts, {guard[0]: 1})
                    order = _outermost_first(order, counts)
        held.extend(key for key in order if key not in held)
        if wrapper is not None:
            held.append(wrapper)
        return held

    def _acquired_before(self, body: Sequence[cst.CSTNode], child: cst.CSTNode) -> list[str]:
        """Locks acquired by earlier sibling statements and not yet released (memoised per block:
        rescanning the earlier statements per query made a module of n racy functions cost n² scans)."""
        return acquired(self.regions.before(body, child))

    def is_guarded(self, path: Sequence[cst.CSTNode]) -> bool:
        return bool(self.locks_held(path))


def _outermost_first(order: list[str], counts: dict[str, int]) -> list[str]:
    """The held keys of `order`, then the newly held ones."""
    kept = [key for key in order if counts.get(key, 0) > 0]
    return kept + [key for key in acquired(counts) if key not in kept]


def _lock_calls(statements: Sequence[cst.CSTNode], analysis: LockAnalysis) -> list[tuple[str, str]]:
    """`(lock, "acquire"|"release")` of the bare blocking `x.acquire()` / `x.release()` statements, and of
    the conditional spelling `if x is not None: x.acquire()` (tqdm's optional lock): when the test is the
    lock's own presence, the statements after it hold the lock whenever there is one."""
    calls: list[tuple[str, str]] = []
    for stmt in statements:
        for key, verb, waits in analysis.syntax.lock_calls(stmt) or ():
            if verb == "release" or waits:
                calls.append((key, verb))
    return calls


class _CstSyntax:
    """`analysis.acquire_regions` on LibCST statements."""

    def __init__(self, analysis: LockAnalysis) -> None:
        # a proxy: a strong reference back would make every module's analysis cyclic garbage (`test_gc_tuning`)
        self.analysis = weakref.proxy(analysis)

    def lock_calls(self, stmt: cst.CSTNode) -> Optional[list[tuple[str, str, bool]]]:
        if isinstance(stmt, cst.If):
            stmt = _presence_guarded(stmt)  # type: ignore[assignment]
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        calls = []
        for small in stmt.body:
            if isinstance(small, cst.Expr):
                found = self._lock_call(small.value)
                if found is not None:
                    calls.append(found)
        return calls

    def _lock_call(self, expr: cst.BaseExpression) -> Optional[tuple[str, str, bool]]:
        """`(lock, verb, blocking)` for `x.acquire(...)` / `x.release()` on a lock."""
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
            return None
        verb = expr.func.attr.value
        if verb not in ("acquire", "release") or not self.analysis.is_lock(expr.func.value):
            return None
        args = [(arg.keyword.value if arg.keyword else None, _literal(arg.value)) for arg in expr.args]
        if any(arg.star for arg in expr.args):
            args.append((None, UNKNOWN))
        holds = blocking(args) or self.analysis.raises_on_failure(expr.func.value)  # filelock: holds or raises
        return self.analysis.lock_key(expr.func.value), verb, verb == "acquire" and holds

    def guard(self, stmt: cst.CSTNode) -> Optional[tuple[str, str]]:
        if not isinstance(stmt, (cst.If, cst.While)):
            return None
        test, negated = stmt.test, False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        found = self._lock_call(test)
        if found is None or found[1] != "acquire":
            return None
        if isinstance(stmt, cst.If):
            if not negated:
                return found[0], "body"
            branch = self.blocks(stmt)[0]
            return (found[0], "after") if stmt.orelse is None and branch and self.leaves(branch[-1]) else None
        if negated and stmt.orelse is None and not _breaks(stmt.body):  # `while not x.acquire(False): sleep()`
            return found[0], "after"
        return None

    def try_parts(self, stmt: cst.CSTNode):
        if not isinstance(stmt, cst.Try):
            return None
        final = stmt.finalbody.body.body if stmt.finalbody is not None else ()
        others = [_statements(h.body) for h in stmt.handlers]
        if stmt.orelse is not None:
            others.append(_statements(stmt.orelse.body))
        return stmt.body.body, final, others

    def blocks(self, stmt: cst.CSTNode) -> list[Sequence[cst.CSTNode]]:
        if isinstance(stmt, cst.If):
            found = [_statements(stmt.body)]
            if isinstance(stmt.orelse, cst.If):
                found.append((stmt.orelse,))
            elif stmt.orelse is not None:
                found.append(_statements(stmt.orelse.body))
            return found
        if isinstance(stmt, (cst.For, cst.While)):
            return [_statements(stmt.body)] + ([_statements(stmt.orelse.body)] if stmt.orelse is not None else [])
        if isinstance(stmt, cst.With):
            return [_statements(stmt.body)]
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            found = [_statements(stmt.body), *(_statements(h.body) for h in stmt.handlers)]
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    found.append(_statements(extra.body))
            return found
        return []

    def leaves(self, stmt: cst.CSTNode) -> bool:
        if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and stmt.body:
            return isinstance(stmt.body[-1], (cst.Return, cst.Raise))
        return False


def _statements(block: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    """A block's statements; a one-line suite (`if x: lock.release()`) is its own one statement."""
    return block.body if isinstance(block, cst.IndentedBlock) else (block,)


def _literal(expr: cst.BaseExpression) -> object:
    """The value of a literal argument (`False`, `0`, `-1`, `None`, `2.5`), else `UNKNOWN`."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[expr.value]
    if isinstance(expr, (cst.Integer, cst.Float)):
        return expr.evaluated_value
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _literal(expr.expression)
        return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else UNKNOWN
    return UNKNOWN


def _breaks(block: cst.BaseSuite) -> bool:
    """A `break` anywhere in a loop body (a nested loop's too: a conservative "maybe")."""
    stack: list[cst.CSTNode] = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            return True
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(node.children)
    return False


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
