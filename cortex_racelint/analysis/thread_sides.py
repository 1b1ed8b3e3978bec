"""Which side (the caller, or a thread entry) runs each method: the call-graph part of `analysis.threads._Analyzer`."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .locks import call_factory
from .loop_callbacks import loop_runner
from .setup_order import subclass_init_helpers
from .names import dotted_name
from .access_kinds import CALLER, WRITE, _INIT_LIKE, _NOT_CALLER_ROOTS
from .thread_syntax import _is_attr_of, _private, _walk
from .thread_model import Access, _Call


class SidesMixin:
    """Contexts of each method, the locks its callers hold, and what each entry reaches."""

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
        # a locked framework entry's class (a logging handler) is built before the framework calls
        # it: a public method only its construction calls is a set-up step too (a handler's
        # `initialize_rollover_time()` run by `__init__`), not API racing `emit()`
        public_setup = bool(getattr(self, "framework_holds", None))
        changed = True
        while changed:
            changed = False
            for name in self.regions:
                if name in init_only or name in self.entries or name in callback_from:
                    continue
                if not _private(name) and not public_setup:
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
            and (name not in self.entries or self.entries[name].interrupts)  # `atexit.register(self.stop)`: still API
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

        self.init_only = frozenset(init_only)  # construction steps: `_inherited_locks` skips their calls too
        contexts = spread_all(roots)
        # a public method the class itself only calls (or hands on) from thread-only code is a
        # helper of the thread (`run(): ... self.process_batch()`, a callback given to a server)
        while True:
            helpers = set()
            for name in roots - starting:
                users = called_by.get(name, set()) | callback_from.get(name, set())
                # construction runs before any thread (a helper `__init__` also calls: miniterm's
                # `update_transformations()`): only the other users tell which side it is on. Not a
                # constructor that starts a thread itself: its call may run beside the thread's
                users = users - ((_INIT_LIKE | init_only) - starting)
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
        holds = getattr(self, "framework_holds", {})  # the lock a framework holds around its entry
        for name in self.regions:
            # a public method only a locked entry's thread reaches is its helper (`doRollover()` from `emit()`)
            helper = bool(holds) and CALLER not in contexts.get(name, frozenset({CALLER}))
            if name in self.entries or not (_private(name) or helper) or name not in sites or "<locals>" in name:
                held[name] = set(holds.get(name, ()))
            else:
                held[name] = None  # unknown yet: "every lock"
        changed = True
        while changed:
            changed = False
            for name, current in held.items():
                if name in holds or (current is not None and not current):
                    continue
                result: Optional[set[str]] = None
                for call in sites.get(name, []):
                    if holds and (call.region in _INIT_LIKE or call.region in getattr(self, "init_only", ())):
                        continue  # construction runs before any framework thread calls the object
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
