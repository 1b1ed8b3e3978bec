"""Join the hand-overs (`handover.py`): objects made once and given to code on two or more threads.

An object is followed from where a function makes it (`stats = Stats()`, not in a loop: one
object) through what it is given to: an entry's argument (`Thread(target=f, args=(stats,))`,
`pool.submit(f, stats)`: the target's parameter then names it, also through further calls
and entries, up to `MAX_HOPS`), an entry's bound-method target (`pool.map(stats.add, xs)`), a
constructor keeping it (`Worker(stats)` with `self.stats = stats`: the threads `Worker` starts
on its own methods reach it through `self.stats`). An attribute bound to a fresh object
(`self.stats = Stats()`) in a class that starts threads on its own methods is the same shape.

Each *thread* that reaches a method of the object counts once (twice when it runs copies:
a pool's tasks, a thread started in a loop); the making function counts once when it calls
the object after handing it to a thread. An attribute's unguarded read-modify-write or lazy
initialisation is kept only when the threads reaching it add up to two and one of them is a
started thread: the evidence of two threads the rule pages describe. Not followed: callback
registries (`bus.subscribe(obj.on_event)`: which thread runs the callback is not known),
objects put in containers, returned, or made in a loop (one object per iteration).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from .object_data import origin_object

Node = tuple[str, str]
#: how many calls and entries an argument is followed through
MAX_HOPS = 4
_Arrival = tuple[Any, int, list, str]  # (thread id, weight, steps, method of the object's class)


def handover_facts(graph: Any, reach: Callable) -> dict[str, dict]:
    """path -> project facts (the shape `join.join` returns) for objects handed to two threads."""
    weights: dict[tuple[Any, Node, str], dict[Any, int]] = {}  # (origin, class, attr) -> thread -> weight
    started: set[tuple[Any, Node, str]] = set()
    reached: dict[tuple[Node, str], list] = {}
    how: dict[Node, str] = {}
    objects: dict[Node, dict] = {}  # class -> its origin as data (`object_data.py`)
    for origin, cls, label, arrivals in _origins(graph):
        for thread, weight, steps, method in arrivals:
            if f"{cls[1]}.{method}" not in graph.summary(cls[0])["functions"]:
                continue  # inherited or made elsewhere: not followed
            for node, (more, *_) in reach(graph, (cls[0], f"{cls[1]}.{method}"), cls).items():
                if node[0] != cls[0] or node[1].split(".")[0] != cls[1] or "." not in node[1]:
                    continue
                info = graph.summary(node[0])["functions"][node[1]]
                attrs = {a for a, _, _, locked in (*info.get("rmw", []), *info.get("lazy", [])) if not locked}
                if not attrs:
                    continue
                full = [*steps, *more]
                paths = reached.setdefault((cls, node[1]), [])
                if len(paths) < 3 and full not in paths:
                    paths.append(full)
                for attr in attrs:
                    key = (origin, cls, attr)
                    seen = weights.setdefault(key, {})
                    seen[thread] = max(seen.get(thread, 0), weight)
                    if thread != "maker":
                        started.add(key)
            how.setdefault(cls, label)
            objects.setdefault(cls, origin_object(graph, origin, cls))
    racing = {(cls, attr) for (origin, cls, attr), seen in weights.items() if sum(seen.values()) >= 2 and (origin, cls, attr) in started}
    facts: dict[str, dict] = {}
    for (cls, qual), paths in reached.items():
        info = graph.summary(cls[0])["functions"][qual]
        attrs = sorted(
            {a for a, _, _, locked in (*info.get("rmw", []), *info.get("lazy", [])) if not locked and (cls, a) in racing}
        )
        if not attrs or graph.summary(cls[0])["classes"].get(cls[1], {}).get("own_threads"):
            continue
        paths.sort(key=lambda steps: 0 if _first_is_entry(steps) else 1)
        entry = facts.setdefault(graph.path(cls[0]), {"classes": {}})
        klass = entry["classes"].setdefault(cls[1], {"shared": how[cls], "object": objects[cls], "methods": {}})
        klass["methods"][qual.split(".", 1)[1]] = {"attrs": attrs, "paths": paths}
    return facts


def merge(facts: dict[str, dict], extra: dict[str, dict]) -> dict[str, dict]:
    """Add the hand-over facts to the join's; a class the join already names keeps its description."""
    for path, entry in extra.items():
        classes = facts.setdefault(path, {"classes": {}})["classes"]
        for name, klass in entry["classes"].items():
            mine = classes.setdefault(name, {"shared": klass["shared"], "object": klass.get("object"), "methods": {}})
            for method, found in klass["methods"].items():
                have = mine["methods"].get(method)
                if have is None:
                    mine["methods"][method] = found
                else:
                    have["attrs"] = sorted({*have["attrs"], *found["attrs"]})
    return facts


def _first_is_entry(steps: list) -> bool:
    return bool(steps) and not steps[0][3].startswith("`")


# -- where objects are made, and who receives them --------------------------------------------


def _origins(graph: Any) -> Iterator[tuple[Any, Node, str, list[_Arrival]]]:
    """(origin id, class, why it is shared, arrivals) for every object a function makes and hands on."""
    for module, (path, summary) in graph.table.modules.items():
        for qual, info in summary["functions"].items():
            records = info.get("h")
            if not records:
                continue
            for record in records:
                if record[0] != "new" or record[4]:
                    continue
                name, called = record[1], record[2]
                cls = _class_of(graph, module, called, qual)
                if cls is None:
                    continue
                arrivals = list(_receivers(graph, module, qual, name, cls, None, 0))
                if arrivals:
                    label = f"one instance made in `{module}.{qual}()` and handed to other threads"
                    yield (module, qual, name), cls, label, arrivals
        for klass, info in summary["classes"].items():  # `self.stats = Stats()` in a class starting threads
            if not info.get("own_threads") and not info.get("thread_run"):
                continue
            for attr, held in info.get("held", {}).items():
                cls = _class_of(graph, module, held[1], klass) if held[0] == "c" else None
                if cls is None or cls == (module, klass):
                    continue
                arrivals = list(_own_threads(graph, module, klass, attr, 1))
                if arrivals:
                    arrivals += _callers(graph, module, klass, attr)
                    label = f"the instance in `{klass}.{attr}` that threads started by `{module}.{klass}` share"
                    yield (module, klass, attr), cls, label, arrivals


def _class_of(graph: Any, module: str, called: str, scope: str) -> Optional[Node]:
    symbol = graph.table.resolve(module, called, scope)
    if symbol is None or symbol[1] not in graph.summary(symbol[0])["classes"]:
        return None
    return symbol


def _receivers(
    graph: Any, module: str, qual: str, name: str, cls: Node, thread: Optional[tuple], hops: int
) -> Iterator[_Arrival]:
    """Arrivals of the object `name` names in `module.qual` at methods of `cls`.

    `thread` is (id, weight, steps) of the thread this function runs on when it was reached
    through an entry; None in the function that made the object (the "maker" thread).
    """
    info = graph.summary(module)["functions"].get(qual, {})
    records = info.get("h", [])
    path = graph.path(module)
    handed_at: Optional[int] = None
    for record in records:
        if record[0] != "give" or record[1] != name:
            continue
        _, _, how, kind, text, pos, line, col, copies = record
        weight = 2 if copies else 1
        if how == "t":  # `Thread(target=stats.run)`: the method runs on the new thread
            step = [path, line, col, f"thread entry `{name}.{text}` started in `{module}.{qual}`"]
            handed_at = line if handed_at is None else min(handed_at, line)
            yield (path, line, col), weight, [*(thread[2] if thread else []), step], text
            continue
        if hops >= MAX_HOPS:
            continue
        if how == "e":
            target = graph.resolve_ref(module, qual, kind, text)
            if target is None:
                continue
            param = _param(graph, target[0], pos, text)
            if param is None:
                continue
            step = [path, line, col, f"thread entry `{text}` started in `{module}.{qual}` with `{name}`"]
            handed_at = line if handed_at is None else min(handed_at, line)
            inner = ((path, line, col), weight, [*(thread[2] if thread else []), step])
            yield from _receivers(graph, target[0][0], target[0][1], param, cls, inner, hops + 1)
        elif how == "k":
            symbol = graph.table.resolve(module, text, qual)
            if symbol is None:
                continue
            owner = graph.summary(symbol[0])
            if symbol[1] in owner["classes"]:  # `Worker(stats)`: what `__init__` keeps, and its threads
                init = owner["functions"].get(f"{symbol[1]}.__init__", {})
                names = init.get("params", [])
                param = names[pos + 1] if isinstance(pos, int) and pos + 1 < len(names) else pos
                for attr, bound in owner["classes"][symbol[1]].get("bound", {}).items():
                    if bound == param:
                        for site, times, steps, method in _own_threads(graph, symbol[0], symbol[1], attr, weight):
                            handed_at = line if handed_at is None else min(handed_at, line)
                            made = [path, line, col, f"`{module}.{qual}` hands `{name}` to `{symbol[1]}`"]
                            yield ((path, line, col), site), times, [*steps[:1], made, *steps[1:]], method
            elif symbol[1] in owner["functions"]:  # a helper on the same thread
                param = _param(graph, symbol, pos, text)
                if param is not None:
                    step = [path, line, col, f"`{qual}` calls `{symbol[1]}` with `{name}`"]
                    inner = thread if thread else None
                    if inner is not None:
                        inner = (inner[0], inner[1], [*inner[2], step])
                    yield from _receivers(graph, symbol[0], symbol[1], param, cls, inner, hops + 1)
    for record in records:
        if record[0] != "use" or record[1] != name:
            continue
        _, _, method, line = record
        if f"{cls[1]}.{method}" not in graph.summary(cls[0])["functions"]:
            continue
        if thread is not None:
            step = [path, line, 0, f"`{qual}` calls `{cls[1]}.{method}` on `{name}`"]
            yield thread[0], thread[1], [*thread[2], step], method
        elif handed_at is not None and line > handed_at:  # the maker keeps using what it handed over
            yield "maker", 1, [[path, line, 0, f"`{module}.{qual}` keeps calling `{name}.{method}()` after handing it over"]], method


def _param(graph: Any, target: Node, pos: Any, text: str) -> Optional[str]:
    """The parameter of `target` that an argument at `pos` (index or keyword) binds."""
    names = graph.summary(target[0])["functions"].get(target[1], {}).get("params")
    if not names:
        return None
    if not isinstance(pos, int):
        return pos if pos in names else None
    offset = 1 if names[0] in ("self", "cls") and "." in target[1] else 0
    index = pos + offset
    return names[index] if index < len(names) else None


def _own_threads(graph: Any, module: str, klass: str, attr: str, weight: int) -> Iterator[_Arrival]:
    """Arrivals through `self.<attr>.<m>()` in code the threads `klass` starts on its own methods run."""
    summary = graph.summary(module)
    path = graph.path(module)
    for kind, ref_kind, text, scope, line, col, copies, own in _own_entries(summary, klass):
        if not own or scope.split(".")[0] != klass:
            continue
        start = graph.resolve_ref(module, scope, ref_kind, text)
        if start is None:
            continue
        head = [path, line, col, f"{kind} `{text}` started in `{module}.{scope}`"]
        times = 2 if copies else weight
        from_join = _reach_from(graph, start[0])
        for node, steps in from_join.items():
            if node[0] != module or node[1].split(".")[0] != klass:
                continue
            for call_kind, called, call_line, call_col in graph.summary(module)["functions"][node[1]].get("calls", []):
                prefix = f"self.{attr}."
                if call_kind == "n" and called.startswith(prefix) and "." not in called[len(prefix):]:
                    method = called[len(prefix):]
                    step = [path, call_line, call_col, f"`{node[1]}` calls `self.{attr}.{method}()`"]
                    yield (path, line, col), times, [head, *steps, step], method


def _callers(graph: Any, module: str, klass: str, attr: str) -> list[_Arrival]:
    """Arrivals through `self.<attr>.<m>()` from the public methods of `klass` its own threads do not run:
    the callers' side of the class (the model CRL401 uses for the class's own attributes)."""
    summary = graph.summary(module)
    path = graph.path(module)
    on_threads: set[Node] = set()
    for _, ref_kind, text, scope, _, _, _, own in _own_entries(summary, klass):
        if own and scope.split(".")[0] == klass:
            start = graph.resolve_ref(module, scope, ref_kind, text)
            if start is not None:
                on_threads.update(_reach_from(graph, start[0]))
    found: list[_Arrival] = []
    prefix = f"self.{attr}."
    for qual in summary["functions"]:
        owner, _, name = qual.partition(".")
        if owner != klass or "." in name or name.startswith("_") or (module, qual) in on_threads:
            continue
        for node, steps in _reach_from(graph, (module, qual)).items():
            if node[0] != module or node[1].split(".")[0] != klass or node in on_threads:
                continue
            for call_kind, called, line, col in summary["functions"][node[1]].get("calls", []):
                if call_kind == "n" and called.startswith(prefix) and "." not in called[len(prefix):]:
                    method = called[len(prefix):]
                    head = [path, summary["functions"][qual].get("line", line), 0,
                            f"`{klass}.{name}()` runs on its caller's thread"]
                    step = [path, line, col, f"`{node[1]}` calls `self.{attr}.{method}()`"]
                    found.append(("caller", 1, [head, *steps, step], method))
    return found


def _own_entries(summary: dict, klass: str) -> list:
    """The summary's entries, plus `run` of a `Thread` subclass (started by `start()`)."""
    entries = list(summary["entries"])
    run = summary["classes"].get(klass, {}).get("thread_run")
    if run:
        entries.append(["thread (`Thread` subclass)", "n", "self.run", f"{klass}.run", run[0], run[1], False, True])
    return entries


def _reach_from(graph: Any, start: Node) -> dict[Node, list]:
    """Functions of the same class the start reaches through `self.` calls, with their steps (bounded)."""
    seen: dict[Node, list] = {start: []}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if len(seen[node]) >= MAX_HOPS:
            continue
        for target, line, col, *_ in graph.edges(node):
            if target not in seen:
                seen[target] = [*seen[node], [graph.path(node[0]), line, col, f"`{node[1]}` calls `{target[1]}`"]]
                queue.append(target)
    return seen
