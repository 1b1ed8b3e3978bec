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
  loop's thread (`analysis.loop_callbacks`). Reads once `is_alive()` is False
  (`analysis.thread_end`), branches that exclude the start (`analysis.start_exclusive`) and
  code between a join and the next start, also on another thread (`analysis.join_window`),
  are ordered too.

The parts live in their own modules: `access_kinds` (the vocabulary), `thread_syntax`
(methods, thread targets, statement order), `thread_model` (`ClassThreads` and its questions),
`thread_starts` (entries, starts and joins) and `thread_sides` (who runs each method); this
module runs them in order and re-exports what the rules and fixes import.

`ClassThreads.conflicts(access)` then answers "which accesses can run at the same time
as this one, with no common lock, where one of the two changes the attribute".
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .context import LintContext
from .locks import LOCK_FACTORIES, THREAD_SAFE_FACTORIES, call_factory, looks_like_lock_name
from .event_order import event_attributes, local_events
from .loop_callbacks import scheduling_loop
from .framework_entries import ObjectAsLock, class_entries, entry_table
from .per_call_state import pseudo_access, shared_across_calls
from .alias_walks import alias_of, alias_walks, inner_container, rebinds
from .setup_order import rerunnable_starters, setup_methods
from .latch_locks import apply_latches
from .thread_end import ended_sites, merge
from .join_window import join_windows, paused_entries
from .names import dotted_name
from .access_kinds import (  # re-exported: the rules and fixes import the vocabulary from here
    BINDING_RMW,
    CALLER,
    CHANGES,
    CONTENTS_RMW,
    ITERATE,
    MUTATE,
    MUTATORS,
    NOT_EXECUTORS,
    READ,
    WRITE,
)
from .locked_property import locked_accessor
from .thread_model import Access, ClassThreads, Conflict, Entry, Region, _Call, display
from .thread_sides import SidesMixin
from .thread_starts import StartsMixin
from .thread_syntax import (
    _class_methods,
    _generator_or_async,
    _is_property,
    _is_thread_subclass,
    _raw_kind,
    _statement_of,
    _walk,
    self_name,
    thread_target,
)

__all__ = [
    "BINDING_RMW", "CALLER", "CHANGES", "CONTENTS_RMW", "ITERATE", "MUTATE", "MUTATORS", "NOT_EXECUTORS",
    "READ", "WRITE", "Access", "ClassThreads", "Conflict", "Entry", "Region", "class_threads", "display",
    "self_name", "thread_target",
]

# --------------------------------------------------------------------------- the analysis


def class_threads(context: LintContext, class_node: cst.ClassDef) -> Optional[ClassThreads]:
    """The thread analysis of a class, or None when it runs none of its code on a thread."""
    key = ("class_threads", id(class_node))
    if key not in context.memo:
        context.memo[key] = _Analyzer(context, class_node).run()
    return context.memo[key]  # type: ignore[return-value]


class _Analyzer(StartsMixin, SidesMixin):
    def __init__(self, context: LintContext, class_node: cst.ClassDef) -> None:
        self.context = context
        self.imports = context.imports
        self.class_node = class_node
        self.methods = _class_methods(class_node)
        self.properties = {name for name, defs in self.methods.items() if any(_is_property(d) for d in defs)}
        self.locked_properties = {name for name in self.properties if locked_accessor(context, self.methods[name])}
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
        self.entry_table = entry_table(context.config)
        #: a new object per call (a request handler): only class-level and server state is shared
        self.per_call = False
        self.framework_holds: dict[str, set[str]] = {}  # entry -> `self.<lock>` its framework holds around it
        self.alias_memo: dict = {}  # per method: its locals' bindings and walks (`analysis.alias_walks`)

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
        for found in class_entries(self.context.module, self.imports, self.class_node, self.context.config, list(self.regions)):
            self.entries[found.method] = Entry(found.method, "framework", found.spec.concurrent, found.spec)
            self.per_call = self.per_call or found.spec.per_call
            if found.spec.holds:
                self.framework_holds[found.method] = {found.spec.holds}
        for region in list(self.regions.values()):
            self._find_entries(region)
        if not self.entries:
            return None
        self._record_indirect_starts()
        for region in self.regions.values():
            region.is_generator, region.is_async = _generator_or_async(region.function)
        self.lock_analysis = self.context.locks
        if self.framework_holds:
            self.lock_analysis = ObjectAsLock(self.context.locks, frozenset(r.self_name for r in self.regions.values()))
        calls, raw = self._collect()
        apply_latches(raw, calls, self.entries, self.ordered, self.imports)  # a lock handed over to a thread
        if self.per_call:
            raw = shared_across_calls(raw, self.class_node)
        contexts = self._contexts(calls, raw)
        sites = [(c.callee, c.region, c.path, c.callback) for c in calls]
        starting = {entry: {region for region, _ in starters} for entry, starters in self.starters.items()}
        for entry, regions in rerunnable_starters(starting, contexts, sites).items():
            self.ordered[entry] = [(r, ids) for r, ids in self.ordered.get(entry, []) if r not in regions]
        setup = setup_methods(self.entries, self.ordered, sites, self.regions)
        # reads once the thread's `is_alive()` is False (analysis.thread_end)
        subclass = _is_thread_subclass(self.class_node, self.imports)
        merge(self.ordered, ended_sites(self.regions, self.entries, self.entry_holders, subclass))
        entry_locks = self._inherited_locks(calls, contexts)
        lock_alias = self._lock_aliases()
        skipped = self._skipped_attributes(raw)
        paused = join_windows(self.regions, self.entries, self.entry_holders, starting, calls)  # analysis.join_window
        accesses = []
        for access in self._classify(raw):
            if access.attr in skipped or (access.alias is not None and access.attr.split(".")[0] in skipped):
                continue  # also `self._local.cache`: a `threading.local()`'s entries are per thread
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
            access.paused = paused_entries(paused, access.region, access.path)
            accesses.append(access)
        result = ClassThreads(
            self.class_node, self.methods, self.properties, self.entries, self.regions, contexts, accesses, skipped
        )
        result.windows = self._windows(calls)
        result.private_reach = self._private_reach(calls)
        result.writes_by_region = self._writes_by_region(accesses, calls)
        result.events = event_attributes(self.class_node, self.imports)
        result.local_events = local_events(self.class_node, self.imports)
        result.barriers = event_attributes(self.class_node, self.imports, ("threading.Barrier",))
        result.conditions = event_attributes(self.class_node, self.imports, ("threading.Condition",))
        result.ready = {
            entry: frozenset(set.intersection(*waits)) for entry, waits in self.ready_waits.items() if waits
        }
        result.starter_regions = {entry: {region for region, _ in starters} for entry, starters in self.starters.items()}
        result.handoffs = [(c.region, c.path[:-2], c.callee) for c in calls if c.loop is not None]  # to the Call
        result.call_sites = [(c.callee, c.region, frozenset(lock_alias.get(k, k) for k in c.locks)) for c in calls if not c.callback]
        return result

    # -- 2. walk every region ------------------------------------------------
    def _collect(self) -> tuple[list[_Call], list[Access]]:
        calls: list[_Call] = []
        raw: list[Access] = []
        nested_ids = set(self.nested_targets)
        for region in self.regions.values():
            skip = {i for i in nested_ids if i != id(region.function)} | self.target_lambdas
            for node, path in _walk(region.function.body, [region.function], skip):
                if self.per_call:
                    shared = pseudo_access(node, path, region, self.class_node.name.value)
                    if shared is not None:
                        attr, target, target_path = shared
                        held = frozenset(self._normalise_lock(k, region) for k in self.lock_analysis.locks_held(target_path))
                        raw.append(Access(attr, target, _raw_kind(target_path), region.name, tuple(target_path), held))
                        continue
                if not (
                    isinstance(node, cst.Attribute)
                    and isinstance(node.value, cst.Name)
                    and node.value.value == region.self_name
                ):
                    continue
                attr = node.attr.value
                held = frozenset(self._normalise_lock(k, region) for k in self.lock_analysis.locks_held(path))
                if attr in self.methods:
                    parent = path[-2]
                    if attr == "__init__":
                        continue  # `self.__init__()` re-runs construction: still construction (see module doc)
                    if (isinstance(parent, cst.Call) and parent.func is node) or attr in self.properties:
                        calls.append(_Call(attr, held, region.name, path=tuple(path)))
                        if attr in self.locked_properties:  # `self.count += 1`: get, add, set
                            raw.append(Access(attr, node, _raw_kind(path), region.name, tuple(path), held, accessor=True))
                    elif attr not in self.entries:
                        # handed on as a callback: runs where the code it is given to runs
                        loop = scheduling_loop(path, region.self_name)
                        calls.append(_Call(attr, frozenset(), region.name, True, tuple(path), loop))
                    continue
                raw.append(Access(attr, node, _raw_kind(path), region.name, tuple(path), held))
                parent = path[-2]
                if isinstance(parent, cst.Assign):  # `d = self.d`, then `for k in d:` (`analysis.alias_walks`)
                    raw.extend(self._alias_walks(attr, path, region))
                elif isinstance(parent, cst.Attribute) and not self.per_call:  # `for k in self.state.data:`
                    inner = inner_container(path)
                    if inner is not None:
                        raw.append(Access(f"{attr}.{inner[1]}", path[-2], inner[0], region.name, tuple(path[:-1]), held,
                                          alias=f"the object in `self.{attr}`"))
        return calls, raw

    def _alias_walks(self, attr: str, path: list, region: Region) -> list[Access]:
        alias = f"the local `{alias_of(path)}`"
        found = []
        if rebinds(region.function, region.self_name, attr, self.alias_memo):
            return found  # `batch = self.buf; self.buf = []`: the local holds an object no one else reaches
        for walk in alias_walks(path, self.alias_memo):
            held = frozenset(self._normalise_lock(k, region) for k in self.lock_analysis.locks_held(walk))
            found.append(Access(attr, walk[-1], ITERATE, region.name, tuple(walk), held, alias=alias))
        return found

    def _normalise_lock(self, key: str, region: Region) -> str:
        if key == region.self_name and self.framework_holds:
            # `self.acquire()` / `release()` of a logging handler: the lock its framework holds
            return sorted(set().union(*self.framework_holds.values()))[0]
        prefix = region.self_name + "."
        return "self." + key[len(prefix):] if key.startswith(prefix) else key

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

