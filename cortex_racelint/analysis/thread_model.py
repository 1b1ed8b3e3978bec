"""What the thread analysis of one class answers: entries, regions, accesses and `ClassThreads.conflicts`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from ..ftypes import ThreadEntrySpec
from .event_order import held_with, set_after, waited_before
from .handoff import precedes
from .growth_only import growth_against_tested_removal
from .ready_event import published_before
from .access_kinds import BINDING_RMW, CALLER, CHANGES, WRITE, _ENTRY_LABELS, _conflict
from .thread_syntax import _private

def _accessor_conflict(a: str, b: str) -> bool:
    """Through a locked property: a read-modify-write against another read-modify-write or a set."""
    return BINDING_RMW in (a, b) and a in (WRITE, BINDING_RMW) and b in (WRITE, BINDING_RMW)


@dataclass(frozen=True)
class Entry:
    """Code that runs on another thread."""

    region: str  # method name, or "method.<locals>.name" for a nested function
    kind: str  # "thread" | "timer" | "executor" | "run" | "nested" | "framework"
    multi: bool  # several instances can run at once (executor tasks, threads made in a loop)
    spec: Optional[ThreadEntrySpec] = None  # the framework's table entry (`analysis.framework_entries`)

    @property
    def label(self) -> str:
        kind = self.spec.label if self.spec is not None else _ENTRY_LABELS[self.kind]
        return f"{kind} `{display(self.region)}()`"

    @property
    def interrupts(self) -> bool:
        """A signal or atexit handler: it interrupts the main thread rather than running beside it."""
        return self.spec is not None and self.spec.interrupts


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
    #: `self.p` where `p` is a property whose getter and setter each hold a lock: each call is
    #: atomic, so only a read-modify-write through it (`self.p += 1`) races, with another change
    accessor: bool = False
    #: a walk of the attribute through a local bound once to it (`d = self.d; for k in d:`): `analysis.alias_walks`
    alias: Optional[str] = None
    #: entries joined before it and not started again yet (analysis.join_window)
    paused: frozenset[str] = frozenset()

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
    conditions: frozenset[str] = frozenset()  # the `threading.Condition` ones: publish only what they guard
    #: (method, name) of `threading.Event()` locals, shared with the method's nested defs by closure
    local_events: frozenset[tuple[str, str]] = frozenset()
    #: (scheduling region, path to the hand-off call, callback) of loop callbacks (analysis.handoff)
    handoffs: list[tuple[str, tuple[cst.CSTNode, ...], str]] = field(default_factory=list)
    #: per entry, the events every starter waits on after starting it (analysis.ready_event)
    ready: dict[str, frozenset[str]] = field(default_factory=dict)
    starter_regions: dict[str, set[str]] = field(default_factory=dict)
    #: direct `self.m()` calls: (callee, calling region, locks held there)
    call_sites: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)
    _conflicts: dict[int, list[Conflict]] = field(default_factory=dict)
    #: per access (id): the events published after it / waited on before it (`event_order` walks)
    _published: dict[int, set[str]] = field(default_factory=dict)
    _waited: dict[int, set[str]] = field(default_factory=dict)

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
                if self._paused(a, ca, cb) or self._paused(b, cb, ca):
                    continue  # between a join of that thread and its next start
                if ca != CALLER and cb != CALLER and ca != cb and self.entries[ca].interrupts and self.entries[cb].interrupts:
                    continue  # both run on the main thread
                if ca == cb:
                    if self.entries[ca].multi:
                        return ca, cb
                    continue
                if CALLER in (ca, cb) and self.entries[cb if ca == CALLER else ca].interrupts:
                    continue  # a handler interrupting the main thread: only other threads are judged
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

    def _paused(self, access: Access, here: str, there: str) -> bool:
        """`access` (run on `here`) is in a join window of the single thread `there`."""
        if there == CALLER or there not in access.paused or self.entries[there].multi:
            return False
        return here == CALLER or not self.entries[here].multi

    def conflicts(self, access: Access) -> list[Conflict]:
        """Accesses that race with `access`: concurrent, one changes, no common lock."""
        key = id(access)
        if key not in self._conflicts:
            found = []
            for other in self.accesses:
                if other.attr != access.attr or not _conflict(access.kind, other.kind):
                    continue
                if (access.accessor or other.accessor) and not _accessor_conflict(access.kind, other.kind):
                    continue
                if access.locks & other.locks:
                    continue
                if growth_against_tested_removal(access, other):
                    continue  # an append cannot falsify the other side's emptiness test (analysis.growth_only)
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
        if first.kind not in CHANGES or not (self.events or self.local_events):
            return False
        method = self.regions[first.region].method if first.region in self.regions else None
        if id(first) not in self._published:
            # `set_after` skips a publish inside the loop around the change (the next round changes it again)
            published = {
                name for name in set_after(first.path, self.barriers)
                if name.partition(".")[2] in self.events or (method, name) in self.local_events
            }
            # a Condition publishes what was changed under it (`with cond: x = v; cond.notify_all()`)
            self._published[id(first)] = {
                name for name in published if name.partition(".")[2] not in self.conditions or held_with(first.path, name)
            }
        published = self._published[id(first)]
        if then.region not in self.regions or self.regions[then.region].method != method:
            published = {name for name in published if "." in name}  # a local event is one call's
        return bool(published and published & self._waited_before(then))

    def _waited_before(self, access: Access) -> set[str]:
        if id(access) not in self._waited:
            self._waited[id(access)] = waited_before(access.path)
        return self._waited[id(access)]

    def _ready_ordered(self, first: Access, then: Access) -> bool:
        """`first` is a thread's change published by a readiness event every starter waits on
        after the start; `then` runs on the caller side once the starter got past the wait."""
        if first.kind not in CHANGES or CALLER in first.contexts or CALLER not in then.contexts:
            return False
        for entry in first.contexts:
            events = self.ready.get(entry)
            if not events or not published_before(first.path, events):
                return False
            if then.region in self.starter_regions.get(entry, ()) and not events & self._waited_before(then):
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
            if access.accessor and access.kind != BINDING_RMW:
                continue  # a locked getter or setter call is atomic: the read-modify-write is to blame
            partners = self.conflicts(access)
            if not partners:
                continue
            if access.locks and all(not p.other.locks for p in partners):
                continue  # the partner is the unguarded one
            blamed.append(access)
        return blamed
