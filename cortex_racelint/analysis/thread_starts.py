"""Thread entries and where they start and end: the ordering part of `analysis.threads._Analyzer`."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .event_order import event_attributes
from .framework_entries import call_entry
from .thread_holders import FUTURE_WAITS, kept_in, loop_alias, stored_in_attributes, waits_for_all
from .ready_event import local_events, waited_after
from .names import dotted_name
from .nested_order import before_start as _before_only
from .start_exclusive import exclusive_of_start
from .access_kinds import _EXECUTOR_METHODS
from .thread_syntax import _after, _statement_chain, _unwrap_callable, _waits, _walk, thread_target
from .thread_model import Entry, Region


def before_start(path: list[cst.CSTNode]) -> set[int]:
    """Statements before the start, and those on branches that exclude it (`analysis.start_exclusive`)."""
    return _before_only(path) | exclusive_of_start(path)


def _after_chain(path: list[cst.CSTNode]) -> set[int]:
    return _after(_statement_chain(path))


class StartsMixin:
    """Finds thread entries and records the statements ordered with each (before the start, after the join)."""

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
            spec = None
            if found is None:
                framework = call_entry(node, self.imports, self.entry_table, region.function)
                if framework is None:
                    continue
                spec, target = framework
                found = ("framework", target)
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
            if "<locals>" in name and kind in ("thread", "timer"):
                kind = "nested"
            previous = self.entries.get(name)
            # started at two places: two can run at once, unless both keep it in one `self.` attribute
            # (`start()` and `_restart_after_fork()` both set `self._thread`: one thread, replaced)
            kept = {h for h in self._holders_of(node, list(path)) if h.startswith(region.self_name + ".")}
            kept = {"self." + h.split(".", 1)[1] for h in kept}
            same_holder = previous is not None and bool(kept & self.entry_holders.get(name, set()))
            self.entry_holders.setdefault(name, set()).update(kept)
            multi = kind == "executor" or in_loop or (previous is not None and (previous.multi or not same_holder))
            if spec is not None:
                multi = spec.concurrent or (previous is not None and previous.multi)
            self.entries[name] = Entry(name, previous.kind if previous else kind, multi, previous.spec if previous else spec)
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
            sites.append((start_region.name, before_start(start_path)))
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
                            before = before_start(list(path))
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
            for verb, order in (("start", before_start), ("join", _after_chain)):
                for node, path in _walk(region.function.body, [region.function], set()):
                    if (
                        isinstance(node, cst.Call)
                        and isinstance(node.func, cst.Attribute)
                        and node.func.attr.value == verb
                        and self._is_self_thread_call(node, region)
                        and _waits(node, verb)
                    ):
                        sites.append((region.name, order(list(path))))

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
                    if receiver in names:
                        found.append((other, list(path)))
                        continue
                    for alias_name, loop in loops:
                        if receiver == alias_name and any(step is loop for step in path):
                            # every thread of the collection is joined once the loop is over: cut at the loop
                            cut = next(i for i, step in enumerate(path) if step is loop)
                            found.append((other, list(path[: cut + 1])))
                            break
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
        holders = kept_in(call, path)
        function = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
        if function is not None:  # `t = Thread(...); t.start(); self._thread = t`: joined as `self._thread`
            holders += [alias for name in holders if "." not in name for alias in stored_in_attributes(function, name)]
        return holders
