"""Thread-entry analysis: which code of a class runs on another thread, and what it touches.

For one class, computed once and memoised on `context.memo`:

* **entries**: methods (or functions nested in a method) that run on another thread —
  `threading.Thread(target=self.m)`, `Timer(interval, self.m)`, `executor.submit(self.m)`,
  `executor.map(self.m, ...)`, `loop.run_in_executor(None, self.m)`, `asyncio.to_thread`,
  `_thread.start_new_thread`, a `Thread` subclass's `run`; `functools.partial(self.m, ...)`
  and `lambda: self.m(...)` are seen through;
* **sides**: each method's *contexts*: `"caller"` and/or the entries it is reached from
  through `self.m()` calls (properties count as calls). The caller side is every method
  callable from outside except `__init__`, methods only `__init__` calls, and private
  methods only the thread side calls;
* **accesses**: every `self.<attr>` of a non-method attribute, classified as read (R),
  binding write (W), binding read-modify-write (B: `self.n += 1`, `self.x = self.x + [y]`),
  single mutating call or item store (M: `self.a.append(x)`, `self.d[k] = v`), contents
  read-modify-write or check-then-act (C: `self.d[k] += 1`, `self.d[k] = self.d.get(k) + 1`,
  `if k not in self.d: self.d[k] = v`) and iteration (I: `for x in self.a`), with the
  locks held there (`with`, `acquire`/`try`/`finally`, and locks every caller of a
  private helper holds);
  `self.__init__()` (paho's `reinitialise()`) is not followed: re-initialising an object
  while its threads run is outside the model, so `__init__` stays construction;
* **ordering**: accesses in the starting method before the thread is started, and after
  it is joined (`t.join()` or `t.join(timeout)`, the end of `with ThreadPoolExecutor() as ex:`,
  `f.result()`, `concurrent.futures.wait(fs)`, `for t in threads: t.join()`:
  `analysis.thread_holders`), do not run concurrently with that entry; nor do set-up methods
  (`analysis.setup_order`, which also drops the order of a starter that can run again while
  its thread lives). Pairs are ordered by an Event/Condition/Barrier/Queue
  (`analysis.event_order`), a readiness event the starter waits on (`analysis.ready_event`)
  and a callback hand-off to an event loop (`analysis.handoff`); loop callbacks run on the
  loop's thread (`analysis.loop_callbacks`).

`ClassThreads.conflicts(access)` then answers "which accesses can run at the same time
as this one, with no common lock, where one of the two changes the attribute".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import libcst as cst

from .context import LintContext
from .locks import LOCK_FACTORIES, THREAD_SAFE_FACTORIES, call_factory, looks_like_lock_name
from .event_order import event_attributes, set_after, waited_before
from .handoff import precedes
from .thread_holders import FUTURE_WAITS, kept_in, loop_alias, waits_for_all
from .ready_event import local_events, published_before, waited_after
from .loop_callbacks import loop_runner, scheduling_loop
from .setup_order import rerunnable_starters, setup_methods, subclass_init_helpers
from .names import dotted_name
from .traverse import children

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
_NOT_CALLER_ROOTS = _INIT_LIKE | {"__new__", "__init_subclass__", "__class_getitem__", "__set_name__"}


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


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Entry:
    """Code that runs on another thread."""

    region: str  # method name, or "method.<locals>.name" for a nested function
    kind: str  # "thread" | "timer" | "executor" | "run" | "nested"
    multi: bool  # several instances can run at once (executor tasks, threads made in a loop)

    @property
    def label(self) -> str:
        return f"{_ENTRY_LABELS[self.kind]} `{display(self.region)}()`"


def display(region: str) -> str:
    return region.replace(".<locals>.", ".")


@dataclass
class Region:
    """A method, or a function nested in one that is a thread entry."""

    name: str
    method: str  # the class method it is written in
    function: cst.FunctionDef
    self_name: str
    is_generator: bool = False
    is_async: bool = False


@dataclass(eq=False)
class Access:
    """One `self.<attr>` use, classified."""

    attr: str
    node: cst.Attribute
    kind: str
    region: str
    path: tuple[cst.CSTNode, ...]  # from the region's FunctionDef down to `node`
    locks: frozenset[str] = frozenset()
    contexts: frozenset[str] = frozenset()  # CALLER and/or entry region names
    ordered_with: frozenset[str] = frozenset()  # entries this access happens before/after
    check: Optional[cst.CSTNode] = None  # the `if`/`while` of a check-then-act
    small: Optional[cst.CSTNode] = None  # the small statement or compound header holding it

    @property
    def thread_side(self) -> bool:
        return any(c != CALLER for c in self.contexts)


@dataclass
class _Call:
    callee: str
    locks: frozenset[str]
    region: str
    callback: bool = False  # `self.m` passed as a value, not called
    path: tuple[cst.CSTNode, ...] = ()  # from the calling region's FunctionDef to the call
    loop: Optional[str] = None  # a callback scheduled on the event loop `self.<loop>`


@dataclass(frozen=True)
class Conflict:
    """A racing partner of an access, with the thread each of the two runs on."""

    other: Access
    here: str  # context of the access asked about (CALLER or an entry)
    there: str  # context of `other`


@dataclass
class ClassThreads:
    """Everything the CRL4 rules ask about one class."""

    class_node: cst.ClassDef
    methods: dict[str, list[cst.FunctionDef]]
    properties: set[str]
    entries: dict[str, Entry]
    regions: dict[str, Region]
    contexts: dict[str, frozenset[str]]  # region -> contexts
    accesses: list[Access]
    skipped_attributes: set[str]
    #: entries started and joined inside one call -> the regions that run while they do
    windows: dict[str, set[str]] = field(default_factory=dict)
    #: per entry, the regions it reaches through private methods and properties only
    private_reach: dict[str, set[str]] = field(default_factory=dict)
    writes_by_region: dict[str, set[str]] = field(default_factory=dict)  # attributes each region changes (transitively)
    #: `self.<attr>` the class binds to `threading.Event()`: their set()/wait() order accesses
    events: frozenset[str] = frozenset()
    barriers: frozenset[str] = frozenset()  # the `threading.Barrier` ones: `wait()` also publishes
    #: (scheduling region, path to the hand-off call, callback) of loop callbacks (analysis.handoff)
    handoffs: list[tuple[str, tuple[cst.CSTNode, ...], str]] = field(default_factory=list)
    #: per entry, the events every starter waits on after starting it (analysis.ready_event)
    ready: dict[str, frozenset[str]] = field(default_factory=dict)
    starter_regions: dict[str, set[str]] = field(default_factory=dict)
    #: direct `self.m()` calls: (callee, calling region, locks held there)
    call_sites: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)
    _conflicts: dict[int, list[Conflict]] = field(default_factory=dict)

    # -- questions ----------------------------------------------------------
    def label(self, access_or_region, context: Optional[str] = None) -> str:
        """How a message names where an access runs: "`update()`", "thread target `_animate()`"."""
        region = access_or_region.region if isinstance(access_or_region, Access) else access_or_region
        contexts = self.contexts.get(region, frozenset())
        if context is None:
            threads = sorted(c for c in contexts if c != CALLER)
            context = threads[0] if threads and CALLER not in contexts else CALLER
        if context == CALLER:
            return f"`{display(region)}()`"
        if region == context:
            return self.entries[context].label
        return f"`{display(region)}()` on {self.entries[context].label}"

    def dual(self, region: str) -> bool:
        """Runs on the caller's side and on a thread (public API the thread also calls)."""
        contexts = self.contexts.get(region, frozenset())
        return CALLER in contexts and len(contexts) > 1

    def witness(self, a: Access, b: Access) -> Optional[tuple[str, str]]:
        """Contexts (of a, of b) under which a and b can run at the same time, if any."""
        for ca in sorted(a.contexts):
            for cb in sorted(b.contexts):
                if ca == CALLER and cb == CALLER:
                    continue  # one owner thread calls the public methods
                if ca == cb:
                    if self.entries[ca].multi:
                        return ca, cb
                    continue
                if ca == CALLER or cb == CALLER:
                    caller, entry = (a, cb) if ca == CALLER else (b, ca)
                    thread_side = b if ca == CALLER else a
                    if entry in caller.ordered_with:
                        continue  # before the start or after the join
                    window = self.windows.get(entry)
                    if window is not None and caller.region not in window and caller.kind in CHANGES:
                        continue  # the owner is inside the call that runs and joins the thread
                    if thread_side.region not in self.private_reach.get(entry, ()) and self.dual(thread_side.region):
                        continue  # the thread calls the object's public API: a usage contract, not judged
                return ca, cb
        return None

    def conflicts(self, access: Access) -> list[Conflict]:
        """Accesses that race with `access`: concurrent, one changes, no common lock."""
        key = id(access)
        if key not in self._conflicts:
            found = []
            for other in self.accesses:
                if other.attr != access.attr or not _conflict(access.kind, other.kind):
                    continue
                if access.locks & other.locks:
                    continue
                if self._event_ordered(access, other) or self._event_ordered(other, access):
                    continue
                if self._handed_off(access, other) or self._handed_off(other, access):
                    continue
                if self._ready_ordered(access, other) or self._ready_ordered(other, access):
                    continue
                pair = self.witness(access, other)
                if pair is not None:
                    found.append(Conflict(other, pair[0], pair[1]))
            self._conflicts[key] = found
        return self._conflicts[key]

    def _event_ordered(self, first: Access, then: Access) -> bool:
        """`first` is a change published by `ev.set()` after it, `then` runs after `ev.wait()`
        (`analysis.event_order`): `first` happens before `then`."""
        if first.kind not in CHANGES or not self.events:
            return False
        published = {name for name in set_after(first.path, self.barriers) if name.partition(".")[2] in self.events}
        return bool(published and published & waited_before(then.path))

    def _ready_ordered(self, first: Access, then: Access) -> bool:
        """`first` is a thread's change published by a readiness event every starter waits on
        after the start; `then` runs on the caller side once the starter got past the wait."""
        if first.kind not in CHANGES or CALLER in first.contexts or CALLER not in then.contexts:
            return False
        for entry in first.contexts:
            events = self.ready.get(entry)
            if not events or not published_before(first.path, events):
                return False
            if then.region in self.starter_regions.get(entry, ()) and not events & waited_before(then.path):
                return False
        return bool(first.contexts)

    def _handed_off(self, first: Access, then: Access) -> bool:
        """`first` runs before its method hands a callback to an event loop, and `then` runs in
        that callback (or a private helper every other caller of which holds a lock `first` holds)."""
        for region, path, callee in self.handoffs:
            if region != first.region or not precedes(first.path, path):
                continue
            reach = self._private_helpers(callee)
            if then.region not in reach:
                continue
            outside = [locks for c, caller, locks in self.call_sites if c == then.region and caller not in reach]
            if all(locks & first.locks for locks in outside):
                return True
        return False

    def _private_helpers(self, start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(c for c, caller, _ in self.call_sites if caller == name and _private(c))
        return seen

    def racy_accesses(self) -> list[Access]:
        """Accesses to blame: racing, and unlocked (or locked by a lock the partner lacks)."""
        blamed = []
        for access in self.accesses:
            partners = self.conflicts(access)
            if not partners:
                continue
            if access.locks and all(not p.other.locks for p in partners):
                continue  # the partner is the unguarded one
            blamed.append(access)
        return blamed


# --------------------------------------------------------------------------- helpers


def self_name(function: cst.FunctionDef) -> Optional[str]:
    """The first parameter of a plain method (None for static/class methods)."""
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        if name.rsplit(".", 1)[-1] in ("staticmethod", "classmethod"):
            return None
    params = function.params.posonly_params or function.params.params
    if not params:
        return None
    return params[0].name.value


def _is_property(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        last = name.rsplit(".", 1)[-1]
        if last in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def _class_methods(class_node: cst.ClassDef) -> dict[str, list[cst.FunctionDef]]:
    methods: dict[str, list[cst.FunctionDef]] = {}
    body = class_node.body
    if not isinstance(body, cst.IndentedBlock):
        return methods
    for stmt in _flatten_class_body(body.body):
        if isinstance(stmt, cst.FunctionDef):
            methods.setdefault(stmt.name.value, []).append(stmt)
    return methods


def _flatten_class_body(stmts: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Class body statements, looking into `if`/`try` blocks (platform-specific methods)."""
    for stmt in stmts:
        if isinstance(stmt, (cst.If, cst.Try)):
            blocks = [stmt.body]
            if isinstance(stmt, cst.If) and stmt.orelse is not None:
                blocks.append(stmt.orelse if isinstance(stmt.orelse, cst.If) else stmt.orelse.body)
            if isinstance(stmt, cst.Try):
                blocks.extend(h.body for h in stmt.handlers)
            for block in blocks:
                inner = block.body if isinstance(block, cst.IndentedBlock) else [block]
                yield from _flatten_class_body(inner)
        else:
            yield stmt


def _walk(
    node: cst.CSTNode, path: list[cst.CSTNode], skip: set[int]
) -> Iterator[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    """Pre-order walk yielding (node, path-including-node); `skip` prunes subtrees by id."""
    path.append(node)
    yield node, path
    for child in children(node):
        if id(child) in skip or isinstance(child, cst.ClassDef):
            continue
        yield from _walk(child, path, skip)
    path.pop()


def _unwrap_callable(expr: cst.BaseExpression, imports) -> cst.BaseExpression:
    """`functools.partial(f, ...)` -> f; `lambda: self.m(...)` -> self.m."""
    if isinstance(expr, cst.Call) and expr.args:
        qualified = imports.qualify(expr.func) or ""
        if qualified.rsplit(".", 1)[-1] == "partial":
            return _unwrap_callable(expr.args[0].value, imports)
    if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
        return expr.body.func
    return expr


def _arg(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position:
        return positional[position].value
    return None


def thread_target(call: cst.Call, imports) -> Optional[tuple[str, cst.BaseExpression]]:
    """(kind, callable) when `call` runs a callable on another thread."""
    qualified = imports.qualify(call.func) or ""
    last = qualified.rsplit(".", 1)[-1]
    if qualified in ("threading.Timer",) or last == "Timer":
        target = _arg(call, 1, "function")
        return ("timer", target) if target is not None else None
    if qualified == "threading.Thread" or (last.endswith("Thread") and last[:1].isupper()):
        target = _arg(call, 1, "target")
        return ("thread", target) if target is not None else None
    if last in ("start_new_thread", "start_new") and qualified.startswith("_thread"):
        target = _arg(call, 0, "function")
        return ("thread", target) if target is not None else None
    if qualified == "asyncio.to_thread":
        target = _arg(call, 0, "func")
        return ("executor", target) if target is not None else None
    if isinstance(call.func, cst.Attribute):
        method = call.func.attr.value
        if method in _EXECUTOR_METHODS:
            receiver = dotted_name(call.func.value) or ""
            if method == "map" and receiver.rsplit(".", 1)[-1] in NOT_EXECUTORS:
                return None
            target = _arg(call, _EXECUTOR_METHODS[method], "fn" if method != "map" else "func")
            return ("executor", target) if target is not None else None
    return None


def _is_thread_subclass(class_node: cst.ClassDef, imports) -> bool:
    for base in class_node.bases:
        qualified = imports.qualify(base.value) or ""
        if qualified == "threading.Thread" or qualified.rsplit(".", 1)[-1] == "Thread":
            return True
    return False


def _statement_of(path: Sequence[cst.CSTNode]) -> tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
    """(statement, small): the SimpleStatementLine holding path[-1] and its small statement,
    or the compound statement whose header holds it and the header part."""
    for index in range(len(path) - 2, -1, -1):
        node, child = path[index], path[index + 1]
        if isinstance(node, cst.SimpleStatementLine):
            return node, child
        if isinstance(node, cst.SimpleStatementSuite):
            return path[index - 1], child  # one-line compound: the compound is the statement
        if isinstance(node, cst.BaseCompoundStatement):
            return node, child
    return None, None


_LOOPS = (cst.For, cst.While)


def _statement_chain(path: Sequence[cst.CSTNode]) -> list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]:
    """(block, statement-in-block, repeats) from the innermost block outwards.

    `repeats` is True for blocks inside a loop around path[-1]: their earlier statements
    run again after it (the next iteration), so they are not "before" it.
    """
    limit = 0  # a nested function runs whenever it is called: stop there
    for index in range(len(path) - 2, 0, -1):
        if isinstance(path[index], (cst.FunctionDef, cst.Lambda)):
            limit = index
            break
    outermost_loop = None
    for index in range(len(path) - 2, limit - 1, -1):
        node = path[index]
        if isinstance(node, _LOOPS) and path[index + 1] is node.body:
            outermost_loop = index
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            outermost_loop = index
    chain = []
    for index in range(len(path) - 2, limit - 1, -1):
        node = path[index]
        if isinstance(node, cst.IndentedBlock):
            chain.append((node, path[index + 1], outermost_loop is not None and index > outermost_loop))
    return chain


def _before(chain: list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]) -> set[int]:
    ids: set[int] = set()
    for block, stmt, repeats in chain:
        if repeats:
            continue
        for sibling in block.body:
            if sibling is stmt:
                break
            ids.add(id(sibling))
    return ids


def _after(chain: list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]) -> set[int]:
    ids: set[int] = set()
    for block, stmt, _ in chain:
        seen = False
        for sibling in block.body:
            if seen:
                ids.add(id(sibling))
            if sibling is stmt:
                seen = True
    return ids


# --------------------------------------------------------------------------- the analysis


def class_threads(context: LintContext, class_node: cst.ClassDef) -> Optional[ClassThreads]:
    """The thread analysis of a class, or None when it runs none of its code on a thread."""
    key = ("class_threads", id(class_node))
    if key not in context.memo:
        context.memo[key] = _Analyzer(context, class_node).run()
    return context.memo[key]  # type: ignore[return-value]


class _Analyzer:
    def __init__(self, context: LintContext, class_node: cst.ClassDef) -> None:
        self.context = context
        self.imports = context.imports
        self.class_node = class_node
        self.methods = _class_methods(class_node)
        self.properties = {name for name, defs in self.methods.items() if any(_is_property(d) for d in defs)}
        self.regions: dict[str, Region] = {}
        self.entries: dict[str, Entry] = {}
        self.nested_targets: dict[int, str] = {}  # id(nested FunctionDef) -> region name
        # per entry: (region, ids of statements before the start / after the join)
        self.ordered: dict[str, list[tuple[str, set[int]]]] = {}
        # per entry: (starting region, joined before that region returns?)
        self.starters: dict[str, list[tuple[str, bool]]] = {}
        self.target_lambdas: set[int] = set()
        self.entry_holders: dict[str, set[str]] = {}  # entry -> `self.<attr>` its threads are kept in
        self.ready_waits: dict[str, list[set[str]]] = {}  # entry -> per start, the events waited on after it
        self.class_events: Optional[frozenset[str]] = None

    # -- 1. regions and entries -----------------------------------------------
    def run(self) -> Optional[ClassThreads]:
        for name, defs in self.methods.items():
            for function in defs:
                selfname = self_name(function)
                if selfname is not None and name not in self.regions:
                    self.regions[name] = Region(name, name, function, selfname)
        if _is_thread_subclass(self.class_node, self.imports) and "run" in self.regions:
            self.entries["run"] = Entry("run", "run", False)
            self._record_subclass_ordering()
        for region in list(self.regions.values()):
            self._find_entries(region)
        if not self.entries:
            return None
        self._record_indirect_starts()
        for region in self.regions.values():
            region.is_generator, region.is_async = _generator_or_async(region.function)
        calls, raw = self._collect()
        contexts = self._contexts(calls, raw)
        sites = [(c.callee, c.region, c.path, c.callback) for c in calls]
        starting = {entry: {region for region, _ in starters} for entry, starters in self.starters.items()}
        for entry, regions in rerunnable_starters(starting, contexts, sites).items():
            self.ordered[entry] = [(r, ids) for r, ids in self.ordered.get(entry, []) if r not in regions]
        setup = setup_methods(self.entries, self.ordered, sites, self.regions)
        entry_locks = self._inherited_locks(calls, contexts)
        lock_alias = self._lock_aliases()
        skipped = self._skipped_attributes(raw)
        accesses = []
        for access in self._classify(raw):
            if access.attr in skipped:
                continue
            access.contexts = contexts.get(access.region, frozenset())
            if not access.contexts:
                continue
            locks = set(access.locks) | entry_locks.get(access.region, set())
            access.locks = frozenset(lock_alias.get(k, k) for k in locks)
            access.ordered_with = frozenset(
                entry
                for entry, sites in self.ordered.items()
                for region, ids in sites
                if region == access.region and any(id(n) in ids for n in access.path)
            ) | setup.get(access.region, frozenset())
            accesses.append(access)
        result = ClassThreads(
            self.class_node, self.methods, self.properties, self.entries, self.regions, contexts, accesses, skipped
        )
        result.windows = self._windows(calls)
        result.private_reach = self._private_reach(calls)
        result.writes_by_region = self._writes_by_region(accesses, calls)
        result.events = event_attributes(self.class_node, self.imports)
        result.barriers = event_attributes(self.class_node, self.imports, ("threading.Barrier",))
        result.ready = {
            entry: frozenset(set.intersection(*waits)) for entry, waits in self.ready_waits.items() if waits
        }
        result.starter_regions = {entry: {region for region, _ in starters} for entry, starters in self.starters.items()}
        result.handoffs = [(c.region, c.path[:-2], c.callee) for c in calls if c.loop is not None]  # to the Call
        result.call_sites = [(c.callee, c.region, frozenset(lock_alias.get(k, k) for k in c.locks)) for c in calls if not c.callback]
        return result

    def _private_reach(self, calls: list[_Call]) -> dict[str, set[str]]:
        callees: dict[str, set[str]] = {}
        for call in calls:
            if _private(call.callee) or call.callee in self.properties or call.callback:
                callees.setdefault(call.region, set()).add(call.callee)
        reach = {}
        for entry in self.entries:
            seen: set[str] = set()
            stack = [entry]
            while stack:
                name = stack.pop()
                if name not in seen:
                    seen.add(name)
                    stack.extend(callees.get(name, ()))
            reach[entry] = seen
        return reach

    def _windows(self, calls: list[_Call]) -> dict[str, set[str]]:
        """Entries every start of which is joined in the same call: the regions running meanwhile."""
        callees: dict[str, set[str]] = {}
        for call in calls:
            callees.setdefault(call.region, set()).add(call.callee)
        windows = {}
        for entry, starters in self.starters.items():
            if not starters or not all(scoped for _, scoped in starters):
                continue
            seen: set[str] = set()
            stack = [region for region, _ in starters]
            while stack:
                name = stack.pop()
                if name not in seen:
                    seen.add(name)
                    stack.extend(callees.get(name, ()))
            windows[entry] = seen
        return windows

    def _region_of_callable(self, expr: cst.BaseExpression, region: Region, path: list[cst.CSTNode]) -> Optional[str]:
        expr = _unwrap_callable(expr, self.imports)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            if expr.value.value == region.self_name and expr.attr.value in self.regions:
                return expr.attr.value
            return None
        if isinstance(expr, cst.Name):
            # a function defined in the same method
            for stmt, _ in _walk(region.function.body, [], set()):
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == expr.value and stmt is not region.function:
                    name = f"{region.method}.<locals>.{stmt.name.value}"
                    if name not in self.regions:
                        self.regions[name] = Region(name, region.method, stmt, region.self_name)
                        self.nested_targets[id(stmt)] = name
                    return name
        return None

    def _find_entries(self, region: Region) -> None:
        for node, path in _walk(region.function.body, [region.function], set()):
            if not isinstance(node, cst.Call):
                continue
            found = thread_target(node, self.imports)
            if found is None:
                continue
            kind, target = found
            name = self._region_of_callable(target, region, path)
            if name is None:
                continue
            if isinstance(target, cst.Lambda):
                self.target_lambdas.add(id(target))  # its call runs on the thread, not here
            in_loop = any(
                isinstance(a, (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp))
                for a in path[:-1]
            )
            if "<locals>" in name and kind != "executor":
                kind = "nested"
            previous = self.entries.get(name)
            # started at two places: two can run at once, unless both keep it in one `self.` attribute
            # (`start()` and `_restart_after_fork()` both set `self._thread`: one thread, replaced)
            kept = {h for h in self._holders_of(node, list(path)) if h.startswith(region.self_name + ".")}
            kept = {"self." + h.split(".", 1)[1] for h in kept}
            same_holder = previous is not None and bool(kept & self.entry_holders.get(name, set()))
            self.entry_holders.setdefault(name, set()).update(kept)
            multi = kind == "executor" or in_loop or (previous is not None and (previous.multi or not same_holder))
            self.entries[name] = Entry(name, previous.kind if previous else kind, multi)
            self._record_ordering(name, kind, region, node, list(path))

    def _record_ordering(self, entry: str, kind: str, region: Region, call: cst.Call, path: list[cst.CSTNode]) -> None:
        """Statements that run before the thread starts or after it is joined."""
        sites = self.ordered.setdefault(entry, [])
        holders = self._holders_of(call, path)
        start_paths = [(region, path)]
        if holders and kind != "executor":
            starts = [found for holder in holders for found in self._method_calls(holder, region, "start")]
            if starts:
                start_paths = starts
        for start_region, start_path in start_paths:
            sites.append((start_region.name, _before(_statement_chain(start_path))))
            if self.class_events is None:
                self.class_events = event_attributes(self.class_node, self.imports)
            known = local_events(start_region.function, self.imports) | {
                f"{start_region.self_name}.{attr}" for attr in self.class_events
            }
            self.ready_waits.setdefault(entry, []).append(waited_after(start_path) & known)
        scoped = False
        # the end of `with ThreadPoolExecutor() as ex:` waits for the tasks it ran
        for index in range(len(path) - 2, -1, -1):
            node = path[index]
            if isinstance(node, cst.With) and path[index + 1] is node.body:
                if any(self._is_executor_ctor(item.item) for item in node.items):
                    sites.append((region.name, _after(_statement_chain(path[: index + 1]))))
                    scoped = True
                    break
        waited = [(holder, verb) for holder in holders for verb in ("join", "shutdown")]
        if kind == "executor":  # the futures `submit()` returns: `f.result()`, `futures.wait(fs)`
            waited += [(future, verb) for future in kept_in(call, path) for verb in FUTURE_WAITS + ("wait",)]
        for holder, verb in waited:
            if True:
                for join_region, join_path in self._method_calls(holder, region, verb):
                    sites.append((join_region.name, _after(_statement_chain(join_path))))
                    if join_region is region and "." not in holder:
                        scoped = True  # a local thread/pool joined before the method returns
        if region.function.asynchronous is not None:
            scoped = False  # while it awaits, the event loop runs other code on the owner thread
        self.starters.setdefault(entry, []).append((region.name, scoped))

    def _record_indirect_starts(self) -> None:
        """`self.x = 0; self._spawn()` where `_spawn` starts the thread: `x` is set before it."""
        for entry, starters in list(self.starters.items()):
            starting = {region for region, _ in starters}
            frontier = set(starting)
            for _ in range(3):  # callers of callers, a few levels up
                callers: set[str] = set()
                for region in self.regions.values():
                    if region.name in starting or "<locals>" in region.name:
                        continue
                    for node, path in _walk(region.function.body, [region.function], set()):
                        if (
                            isinstance(node, cst.Call)
                            and isinstance(node.func, cst.Attribute)
                            and isinstance(node.func.value, cst.Name)
                            and node.func.value.value == region.self_name
                            and node.func.attr.value in frontier
                        ):
                            before = _before(_statement_chain(list(path)))
                            self.ordered.setdefault(entry, []).append((region.name, before))
                            callers.add(region.name)
                starting |= callers
                frontier = callers
                if not frontier:
                    break

    def _record_subclass_ordering(self) -> None:
        """A Thread subclass starts and joins itself: `self.start()`, `self.join()`."""
        sites = self.ordered.setdefault("run", [])
        for region in list(self.regions.values()):
            for verb, order in (("start", _before), ("join", _after)):
                for node, path in _walk(region.function.body, [region.function], set()):
                    if (
                        isinstance(node, cst.Call)
                        and isinstance(node.func, cst.Attribute)
                        and node.func.attr.value == verb
                        and self._is_self_thread_call(node, region)
                        and _waits(node, verb)
                    ):
                        sites.append((region.name, order(_statement_chain(list(path)))))

    def _is_self_thread_call(self, call: cst.Call, region: Region) -> bool:
        """`self.start()`, `super().start()`, `threading.Thread.start(self)`."""
        receiver = call.func.value  # type: ignore[union-attr]
        if isinstance(receiver, cst.Name) and receiver.value == region.self_name:
            return True
        if isinstance(receiver, cst.Call) and dotted_name(receiver.func) == "super":
            return True
        if call.args and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == region.self_name:
            base = self.imports.qualify(receiver) or ""
            return base == "threading.Thread" or base.rsplit(".", 1)[-1].endswith("Thread")
        return False

    def _method_calls(self, holder: str, region: Region, verb: str) -> list[tuple[Region, list[cst.CSTNode]]]:
        """`holder.verb()` calls: in `region` for a local, in every method for `self.attr`, also
        through a local alias assigned from it (an alias rebound to something else later is not
        followed: the assignment is plain, so it is read in order)."""
        found = []
        if holder.startswith(region.self_name + "."):
            attribute = holder[len(region.self_name) + 1 :]
            candidates = [(r, f"{r.self_name}.{attribute}") for r in self.regions.values()]
        else:
            candidates = [(region, holder)]
        for other, spelt in candidates:
            names = {spelt}  # and the locals that alias it: `thread = self._thread; thread.join()`
            loops: list[tuple[str, cst.For]] = []
            for node, path in _walk(other.function.body, [other.function], set()):
                if (
                    isinstance(node, cst.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0].target, cst.Name)
                    and dotted_name(node.value) in names
                ):
                    names.add(node.targets[0].target.value)
                alias = loop_alias(node, names)  # `for t in threads: t.join()`, inside that loop only
                if alias is not None:
                    loops.append((alias, node))
                if verb == "wait" and isinstance(node, cst.Call) and waits_for_all(node, names, self.imports):
                    found.append((other, list(path)))
                elif (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == verb
                    and _waits(node, verb)
                ):
                    receiver = dotted_name(node.func.value)
                    if receiver in names or any(receiver == n and loop in path for n, loop in loops):
                        found.append((other, list(path)))
        return found

    def _is_executor_ctor(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Call):
            return False
        qualified = self.imports.qualify(expr.func) or ""
        return qualified.endswith("PoolExecutor") or qualified.endswith("ThreadPool")

    def _holders_of(self, call: cst.Call, path: list[cst.CSTNode]) -> list[str]:
        """The names or `self.attr`s a thread/executor is bound to (`self._t = t = Thread(...)`),
        or the collection it is kept in (`analysis.thread_holders`)."""
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _EXECUTOR_METHODS:
            name = dotted_name(call.func.value)
            return [name] if name is not None else []
        return kept_in(call, path)

    # -- 2. walk every region ------------------------------------------------
    def _collect(self) -> tuple[list[_Call], list[Access]]:
        calls: list[_Call] = []
        raw: list[Access] = []
        nested_ids = set(self.nested_targets)
        for region in self.regions.values():
            skip = {i for i in nested_ids if i != id(region.function)} | self.target_lambdas
            for node, path in _walk(region.function.body, [region.function], skip):
                if not (
                    isinstance(node, cst.Attribute)
                    and isinstance(node.value, cst.Name)
                    and node.value.value == region.self_name
                ):
                    continue
                attr = node.attr.value
                held = frozenset(self._normalise_lock(k, region) for k in self.context.locks.locks_held(path))
                if attr in self.methods:
                    parent = path[-2]
                    if attr == "__init__":
                        continue  # `self.__init__()` re-runs construction: still construction (see module doc)
                    if (isinstance(parent, cst.Call) and parent.func is node) or attr in self.properties:
                        calls.append(_Call(attr, held, region.name, path=tuple(path)))
                    elif attr not in self.entries:
                        # handed on as a callback: runs where the code it is given to runs
                        loop = scheduling_loop(path, region.self_name)
                        calls.append(_Call(attr, frozenset(), region.name, True, tuple(path), loop))
                    continue
                raw.append(Access(attr, node, _raw_kind(path), region.name, tuple(path), held))
        return calls, raw

    def _normalise_lock(self, key: str, region: Region) -> str:
        prefix = region.self_name + "."
        return "self." + key[len(prefix):] if key.startswith(prefix) else key

    # -- 3. sides -----------------------------------------------------------
    def _contexts(self, calls: list[_Call], raw: list[Access]) -> dict[str, frozenset[str]]:
        callees: dict[str, set[str]] = {}
        called_by: dict[str, set[str]] = {}  # direct calls only (a callback runs later, anywhere)
        callback_from: dict[str, set[str]] = {}
        starting = {region for starters in self.starters.values() for region, _ in starters}  # stay public API
        on_loop: set[tuple[str, str]] = set()  # (callback, entry running the loop) (analysis.loop_callbacks)
        loop_calls = [call for call in calls if call.loop is not None]
        direct = {}
        for call in calls:
            if call.loop is None:
                direct.setdefault(call.region, set()).add(call.callee)
        for call in loop_calls:
            writers = {a.region for a in raw if a.attr == call.loop and a.kind == WRITE}
            runner = loop_runner(call.loop, writers, self.entries, direct)
            on_loop.add((call.callee, runner or CALLER))
        calls = [call for call in calls if call.loop is None]
        for call in calls:
            callees.setdefault(call.region, set()).add(call.callee)
            if call.callback:
                callback_from.setdefault(call.callee, set()).add(call.region)
            else:
                called_by.setdefault(call.callee, set()).add(call.region)
        referenced = self._referenced_methods()
        # methods only __init__ (or other init-only methods) call; also a private method only
        # subclasses' `__init__` in this module call (`self._init()`)
        init_only: set[str] = subclass_init_helpers(
            self.context.module,
            self.class_node,
            [n for n in self.regions if _private(n) and n not in referenced and n not in self.entries],
        )
        changed = True
        while changed:
            changed = False
            for name in self.regions:
                if name in init_only or name in self.entries or not _private(name) or name in callback_from:
                    continue
                callers = called_by.get(name, set())
                if callers and callers <= (_INIT_LIKE | init_only):
                    init_only.add(name)
                    changed = True
        roots = {
            name
            for name, region in self.regions.items()
            if "<locals>" not in name
            and name not in _NOT_CALLER_ROOTS
            and name not in self.entries
            and name not in init_only
            and (not _private(name) or name not in referenced)
        } | {callee for callee, runner in on_loop if runner == CALLER and callee not in self.entries}
        loop_seeds = [(callee, runner) for callee, runner in on_loop if runner != CALLER]

        def spread_all(roots: set[str]) -> dict[str, set[str]]:
            contexts: dict[str, set[str]] = {}
            for start, label in [(r, CALLER) for r in roots] + [(e, e) for e in self.entries] + loop_seeds:
                stack = [start]
                while stack:
                    name = stack.pop()
                    if label in contexts.setdefault(name, set()):
                        continue
                    contexts[name].add(label)
                    stack.extend(callees.get(name, ()))
            return contexts

        contexts = spread_all(roots)
        # a public method the class itself only calls (or hands on) from thread-only code is a
        # helper of the thread (`run(): ... self.process_batch()`, a callback given to a server)
        while True:
            helpers = set()
            for name in roots - starting:
                users = called_by.get(name, set()) | callback_from.get(name, set())
                if users and all(CALLER not in contexts.get(r, {CALLER}) for r in users):
                    helpers.add(name)
            if not helpers:
                break
            roots = roots - helpers
            contexts = spread_all(roots)
        return {name: frozenset(labels) for name, labels in contexts.items()}

    def _referenced_methods(self) -> set[str]:
        """Methods named through `self.` anywhere in the class (called or passed on)."""
        found: set[str] = set()
        for region in self.regions.values():
            for node, _ in _walk(region.function.body, [], set()):
                if _is_attr_of(node, region.self_name) and node.attr.value in self.methods:  # type: ignore[attr-defined]
                    found.add(node.attr.value)  # type: ignore[attr-defined]
        return found

    def _inherited_locks(self, calls: list[_Call], contexts: dict[str, frozenset[str]]) -> dict[str, set[str]]:
        """Locks every call site of a private helper holds (a fixpoint over the call graph)."""
        sites: dict[str, list[_Call]] = {}
        for call in calls:
            sites.setdefault(call.callee, []).append(call)
        held: dict[str, Optional[set[str]]] = {}
        for name in self.regions:
            if name in self.entries or not _private(name) or name not in sites or "<locals>" in name:
                held[name] = set()
            else:
                held[name] = None  # unknown yet: "every lock"
        changed = True
        while changed:
            changed = False
            for name, current in held.items():
                if current is not None and not current:
                    continue
                result: Optional[set[str]] = None
                for call in sites.get(name, []):
                    outer = held.get(call.region, set())
                    if outer is None:
                        continue
                    here = set(call.locks) | outer
                    result = here if result is None else result & here
                if result is not None and result != current:
                    held[name] = result
                    changed = True
        return {name: (locks or set()) for name, locks in held.items()}

    def _lock_aliases(self) -> dict[str, str]:
        """`self._cond = threading.Condition(self._lock)` holds `self._lock`."""
        aliases: dict[str, str] = {}
        for region in self.regions.values():
            for node, _ in _walk(region.function.body, [], set()):
                if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.value, cst.Call):
                    if call_factory(node.value, self.imports) == "threading.Condition" and node.value.args:
                        target = dotted_name(node.targets[0].target)
                        inner = dotted_name(node.value.args[0].value)
                        if target and inner:
                            aliases[self._normalise_lock(target, region)] = self._normalise_lock(inner, region)
        return aliases

    # -- 4. attributes that need no lock ------------------------------------
    def _skipped_attributes(self, raw: list[Access]) -> set[str]:
        """Locks, thread-safe objects (Event, Queue, ...) used through their methods."""
        inventory = self.context.locks.inventory
        assigned: dict[str, list[cst.BaseExpression]] = {}
        for access in raw:
            parent = access.path[-2] if len(access.path) >= 2 else None
            owner = access.path[-3] if len(access.path) >= 3 else None
            if isinstance(parent, cst.AssignTarget) and isinstance(owner, cst.Assign):
                assigned.setdefault(access.attr, []).append(owner.value)
            elif isinstance(parent, cst.AnnAssign) and parent.value is not None and parent.target is access.node:
                assigned.setdefault(access.attr, []).append(parent.value)
        skipped = set()
        for attr in {a.attr for a in raw}:
            if looks_like_lock_name(attr) or attr in inventory.attribute_locks:
                skipped.add(attr)
                continue
            values = assigned.get(attr, [])
            factories = [call_factory(v, self.imports) for v in values]
            safe = [f for f in factories if f in THREAD_SAFE_FACTORIES or f in LOCK_FACTORIES]
            others = [v for v, f in zip(values, factories) if not (f in THREAD_SAFE_FACTORIES or f in LOCK_FACTORIES)]
            if safe and all(dotted_name(v) == "None" for v in others):
                skipped.add(attr)
            elif not values and attr in inventory.thread_safe_attributes:
                skipped.add(attr)
        return skipped

    # -- 5. kinds -----------------------------------------------------------
    def _classify(self, raw: list[Access]) -> list[Access]:
        """Combine the raw kinds of one statement (`self.n = self.n + 1` is one B)."""
        groups: dict[tuple[int, str], list[Access]] = {}
        tests: set[tuple[str, str, int]] = set()  # (region, attr, id(if/while)) read in the test
        for access in raw:
            _, small = _statement_of(access.path)
            access.small = small
            groups.setdefault((id(small), access.attr), []).append(access)
            for index in range(len(access.path) - 2, 0, -1):
                node = access.path[index]
                if isinstance(node, (cst.If, cst.While)) and access.path[index + 1] is node.test:
                    tests.add((access.region, access.attr, id(node)))
                    break
        for group in groups.values():
            kinds = {a.kind for a in group}
            combined = None
            if WRITE in kinds and kinds & {READ, MUTATE, ITERATE, BINDING_RMW}:
                combined = BINDING_RMW
            elif MUTATE in kinds and kinds & {READ, ITERATE}:
                combined = CONTENTS_RMW
            if combined is not None:
                for access in group:
                    access.kind = combined
        # check-then-act: a change under an `if`/`while` whose test reads the attribute
        if tests:
            for access in raw:
                if access.kind not in (MUTATE, WRITE, BINDING_RMW):
                    continue
                for index in range(len(access.path) - 2, 0, -1):
                    node = access.path[index]
                    if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                        break
                    if (access.region, access.attr, id(node)) in tests and access.path[index + 1] is not node.test:
                        if access.kind == MUTATE:
                            access.kind = CONTENTS_RMW  # `if k not in self.d: self.d[k] = v`
                        access.check = node  # `if self.n > 9: self.n = 0` changes what it tested
                        break
        return raw

    def _writes_by_region(self, accesses: list[Access], calls: list[_Call]) -> dict[str, set[str]]:
        direct: dict[str, set[str]] = {}
        for access in accesses:
            if access.kind in CHANGES:
                direct.setdefault(access.region, set()).add(access.attr)
        callees: dict[str, set[str]] = {}
        for call in calls:
            callees.setdefault(call.region, set()).add(call.callee)
        result: dict[str, set[str]] = {}
        for name in self.regions:
            seen, stack, attrs = set(), [name], set()
            while stack:
                current = stack.pop()
                if current in seen:
                    continue
                seen.add(current)
                attrs |= direct.get(current, set())
                stack.extend(callees.get(current, ()))
            result[name] = attrs
        return result


def _waits(call: cst.Call, verb: str) -> bool:
    """`t.join()`, `t.join(timeout)` and `ex.shutdown()` wait for the thread; `shutdown(wait=False)` does not."""
    if verb == "join":
        return True  # a timed join too: what follows assumes the thread ended (see the module doc)
    if verb == "shutdown":
        return not any(
            (a.keyword is None or a.keyword.value == "wait") and dotted_name(a.value) == "False" for a in call.args
        )
    return True


def _is_attr_of(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _generator_or_async(function: cst.FunctionDef) -> tuple[bool, bool]:
    is_generator = False
    for node, _ in _walk(function.body, [], set()):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) and node is not function:
            continue
        if isinstance(node, (cst.Yield,)):
            is_generator = True
            break
    return is_generator, function.asynchronous is not None


def _is_store(path: Sequence[cst.CSTNode]) -> bool:
    node, parent = path[-1], path[-2]
    if isinstance(parent, cst.AssignTarget) and parent.target is node:
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node:
        return True
    return False


def _raw_kind(path: Sequence[cst.CSTNode]) -> str:
    """R/W/B/M/C/I of one `self.attr` node from its parents (before combining per statement)."""
    node, parent = path[-1], path[-2]
    grand = path[-3] if len(path) >= 3 else None
    # climb out of unpacking targets: `self.a, self.b = ...`, `for self.i, x in ...`
    index = len(path) - 2
    while index > 0 and isinstance(path[index], (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        index -= 1
    owner, child = path[index], path[index + 1]
    if isinstance(owner, cst.AssignTarget) or isinstance(owner, cst.Del) or isinstance(owner, cst.AsName):
        return WRITE
    if isinstance(owner, cst.AnnAssign) and owner.target is child:
        return WRITE if owner.value is not None else READ
    if isinstance(owner, cst.AugAssign) and owner.target is child:
        return BINDING_RMW
    if isinstance(owner, (cst.For, cst.CompFor)) and owner.target is child:
        return WRITE
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return ITERATE
    if isinstance(parent, cst.Attribute) and parent.value is node:  # `self.a.m(...)`, `self.a.b = v`
        if isinstance(grand, cst.Call) and grand.func is parent:
            return MUTATE if parent.attr.value in MUTATORS else READ
        if isinstance(grand, (cst.AssignTarget, cst.Del)):
            return MUTATE
        if isinstance(grand, cst.AugAssign) and grand.target is parent:
            return CONTENTS_RMW
        return READ
    if isinstance(parent, cst.Subscript) and parent.value is node:  # `self.a[k]`
        if isinstance(grand, (cst.AssignTarget, cst.Del)):
            return MUTATE
        if isinstance(grand, cst.AugAssign) and grand.target is parent:
            return CONTENTS_RMW
        return READ
    return READ
