"""Join the hand-overs (`handover.py`): objects made once and given to code on two or more threads.

An object is followed from where a function makes it (`stats = Stats()`, not in a loop: one
object) through what it is given to: an entry's argument (`Thread(target=f, args=(stats,))`,
`pool.submit(f, stats)`: the target's parameter then names it, also through further calls
and entries, up to `MAX_HOPS`), an entry's bound-method target (`pool.map(stats.add, xs)`), a
constructor keeping it (`Worker(stats)` with `self.stats = stats`: the threads `Worker` starts
on its own methods reach it through `self.stats`). An attribute bound to a fresh object
(`self.stats = Stats()`) in a class that starts threads on its own methods is the same shape.

Also followed: `functools.partial` and lambda targets, a task object whose `__call__` a pool
runs (`submit(task)`), and objects kept by workers made in a container (`workers =
[Worker(stats) for ...]`, then `for w in workers: pool.submit(w.run)`): each worker is its own
object, the `stats` they all keep is one (`_handed_out`).

Callback registries. A callback runs on the thread that fires the registry, so a registration
counts only where that thread is known:
- a registry of the entry table (`add_done_callback`, `atexit.register`, `signal.signal`, users'
  `thread-entries`): the callback is the entry's target, read like `Thread(target=...)`;
- a registry of the project (`_fired`): a method that keeps its parameter in a container
  attribute (`self._callbacks.append(cb)`) and a method of the same class that calls what the
  container holds (`for cb in self._callbacks: cb(...)`), when a thread entry reaches the
  latter. `bus.subscribe(stats.on_event)` is followed where the receiver's class is known
  (`self.bus`, a local `bus = Bus()`, a module's instance). Any instance of the class firing
  on a thread counts: which instance the callback went to is not followed.
Not counted: a registry no thread entry fires (a library's hooks the caller fires: the
caller's thread), `logging.addHandler` (the logging rows cover handlers), registries keyed by
name that are fired one by one (`self._handlers[name](...)`).

Each *thread* that reaches a method of the object counts once (twice when it runs copies:
a pool's tasks, a thread started in a loop); the making function counts once when it calls
the object after handing it to a thread. An attribute's unguarded read-modify-write or lazy
initialisation is kept only when the threads reaching it add up to two and one of them is a
started thread: the evidence of two threads the rule pages describe. Not followed: objects
returned, or made in a loop (one object per iteration), and objects in module-level
containers (`REGISTRY["a"] = Stats()`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from ..analysis.entry_table import THREAD_SUBCLASS
from .object_data import origin_object
from .walk_join import WalkTally, merge_walks, uses_own_lock

Node = tuple[str, str]
#: how many calls and entries an argument is followed through
MAX_HOPS = 4
_Arrival = tuple[Any, int, list, str]  # (thread id, weight, steps, method of the object's class)


class _Walk:
    """`join._reach` memoised per start: `walk(start)` -> {function reached: the call steps to it};
    `threads_at(node)`: the thread entries of the project reaching `node` (built once, when asked)."""

    def __init__(self, graph: Any, reach: Callable) -> None:
        self.graph, self.reach = graph, reach
        self.memo: dict[Node, dict[Node, list]] = {}
        self.by_node: Optional[dict[Node, list]] = None

    def __call__(self, start: Node) -> dict[Node, list]:
        if start not in self.memo:
            self.memo[start] = {node: found[0] for node, found in self.reach(self.graph, start, None).items()}
        return self.memo[start]

    def threads_at(self, node: Node) -> list[tuple[tuple, bool, list]]:
        """(entry site, runs copies, steps from the entry to `node`) for every entry reaching `node`."""
        if self.by_node is None:
            self.by_node = {}
            for module, (path, summary) in self.graph.table.modules.items():
                for kind, ref_kind, text, scope, line, col, copies, _ in summary["entries"]:
                    start = self.graph.resolve_ref(module, scope, ref_kind, text) or self._made(module, scope, ref_kind, text)
                    if start is None:
                        continue
                    head = [path, line, col, f"{kind} `{text.replace('|', '().')}` started in `{module}.{scope}`"]
                    for reached, steps in self(start[0]).items():
                        self.by_node.setdefault(reached, []).append(((path, line, col), bool(copies), [head, *steps]))
        return self.by_node.get(node, [])

    def _made(self, module: str, scope: str, ref_kind: str, text: str) -> Optional[tuple[Node, None]]:
        """`pool.map(bus.publish, ...)` with `bus = Bus()` a local: a method of the class (any instance)."""
        made, _, method = text.partition("|")
        cls = _class_of(self.graph, module, made, scope) if ref_kind == "r" else None
        if cls is None or f"{cls[1]}.{method}" not in self.graph.summary(cls[0])["functions"]:
            return None
        return (cls[0], f"{cls[1]}.{method}"), None


Steps = _Walk


def handover_facts(graph: Any, reach: Callable) -> dict[str, dict]:
    """path -> project facts (the shape `join.join` returns) for objects handed to two threads."""
    weights: dict[tuple[Any, Node, str], dict[Any, int]] = {}  # (origin, class, attr) -> thread -> weight
    started: set[tuple[Any, Node, str]] = set()
    reached: dict[tuple[Node, str], list] = {}
    how: dict[Node, str] = {}
    steps_from = _Walk(graph, reach)
    objects: dict[Node, dict] = {}  # class -> its origin as data (`object_data.py`)
    walks = WalkTally()  # CRL406: the objects' walks and size changes, per origin (`walk_join.py`)
    for origin, cls, label, arrivals in _origins(graph, steps_from):
        for thread, weight, steps, method in arrivals:
            if f"{cls[1]}.{method}" not in graph.summary(cls[0])["functions"]:
                continue  # inherited or made elsewhere: not followed
            for node, more in steps_from((cls[0], f"{cls[1]}.{method}")).items():
                if node[0] != cls[0] or node[1].split(".")[0] != cls[1] or "." not in node[1]:
                    continue
                info = graph.summary(node[0])["functions"][node[1]]
                if "walks" in info or "sizes" in info:
                    walks.note(graph, cls, node, info, thread, weight > 1, frozenset(), [*steps, *more], origin)
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
    own = {cls for cls in how if graph.summary(cls[0])["classes"].get(cls[1], {}).get("own_threads")}
    own |= {cls for cls in {key[0] for key in walks.rows} if uses_own_lock(graph, cls)}  # a lock the index cannot name
    walks.rows = {key: rows for key, rows in walks.rows.items() if key[0] not in own}  # own threads: CRL405's model
    walks.facts(graph, facts, lambda cls: (how[cls], objects[cls]))
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
            if "walks" in klass:
                merge_walks(mine, klass)
    return facts


def _first_is_entry(steps: list) -> bool:
    return bool(steps) and not steps[0][3].startswith("`")


# -- where objects are made, and who receives them --------------------------------------------


def _origins(graph: Any, steps_from: Steps) -> Iterator[tuple[Any, Node, str, list[_Arrival]]]:
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
                arrivals = list(_receivers(graph, steps_from, module, qual, name, cls, None, 0))
                if arrivals:
                    label = f"one instance made in `{module}.{qual}()` and handed to other threads"
                    yield (module, qual, name), cls, label, arrivals
                    yield from _held(graph, steps_from, (module, qual, name), cls, arrivals)
        for klass, info in summary["classes"].items():  # `self.stats = Stats()` in a class starting threads
            if not info.get("own_threads") and not any(e[0] == THREAD_SUBCLASS for e in _own_entries(summary, klass)):
                continue
            for attr, held in info.get("held", {}).items():
                cls = _class_of(graph, module, held[1], klass) if held[0] == "c" else None
                if cls is None or cls == (module, klass):
                    continue
                arrivals = list(_own_threads(graph, steps_from, module, klass, attr, 1))
                if arrivals:
                    arrivals += _callers(graph, steps_from, module, klass, attr)
                    label = f"the instance in `{klass}.{attr}` that threads started by `{module}.{klass}` share"
                    yield (module, klass, attr), cls, label, arrivals


def _held(graph: Any, steps_from: Steps, origin: Any, cls: Node, arrivals: list) -> Iterator:
    """The objects a handed-over object holds (`self.stats = Stats()` in its class) go with it: the
    threads reaching its methods reach `self.stats.<m>()` in them (one level)."""
    summary = graph.summary(cls[0])
    for attr, held in summary["classes"].get(cls[1], {}).get("held", {}).items():
        inner = _class_of(graph, cls[0], held[1], cls[1]) if held[0] == "c" else None
        if inner is None or inner == cls:
            continue
        found: list[_Arrival] = []
        for thread, weight, steps, method in arrivals:
            if f"{cls[1]}.{method}" in summary["functions"]:
                for more, used in _attr_calls(graph, steps_from, (cls[0], f"{cls[1]}.{method}"), cls[1], attr):
                    found.append((thread, weight, [*steps, *more], used))
        if found:
            label = f"the instance in `{cls[1]}.{attr}` of the object made in `{origin[0]}.{origin[1]}()`, handed to other threads"
            yield (*origin, attr, cls), inner, label, found  # `object_data.origin_object` reads the holder


def _class_of(graph: Any, module: str, called: str, scope: str) -> Optional[Node]:
    symbol = graph.table.resolve(module, called, scope)
    if symbol is None or symbol[1] not in graph.summary(symbol[0])["classes"]:
        return None
    return symbol


def _receivers(
    graph: Any, steps_from: Steps, module: str, qual: str, name: str, cls: Node, thread: Optional[tuple], hops: int
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
            yield from _receivers(graph, steps_from, target[0][0], target[0][1], param, cls, inner, hops + 1)
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
                        threads = [
                            *_own_threads(graph, steps_from, symbol[0], symbol[1], attr, weight),
                            *_handed_out(graph, steps_from, module, qual, symbol, attr),
                        ]
                        for site, times, steps, method in threads:
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
                    yield from _receivers(graph, steps_from, symbol[0], symbol[1], param, cls, inner, hops + 1)
        if how == "c":  # `bus.subscribe(stats.on_event)`: the threads that fire the registry run it
            for site, times, steps in _fired(graph, steps_from, module, qual, text, pos):
                step = [path, line, col, f"`{module}.{qual}` registers `{name}.{kind}` with `{text}`"]
                handed_at = line if handed_at is None else min(handed_at, line)
                yield site, 2 if times or copies else 1, [steps[0], step, *steps[1:]], kind
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


def _fired(graph: Any, steps_from: Steps, module: str, qual: str, callee: str, pos: Any) -> Iterator[tuple]:
    """(thread site, runs copies, steps) for each thread entry reaching a method that fires the registry
    the call `callee(..., cb)` adds `cb` to: `self._callbacks.append(callback)` in the registering method,
    `for cb in self._callbacks: cb(...)` in a method of the same class some thread entry reaches."""
    method = _registry_method(graph, module, qual, callee)
    if method is None or not isinstance(pos, int):
        return
    info = graph.summary(method[0])["functions"][method[1]]
    param = _param(graph, method, pos, callee)
    attrs = {attr for attr, name in info.get("registers", ()) if name == param}
    if not attrs:
        return
    klass = method[1].split(".")[0]
    for fire_qual, fire_info in graph.summary(method[0])["functions"].items():
        if fire_qual.split(".")[0] != klass or not attrs.intersection(fire_info.get("fires", ())):
            continue
        fire = [graph.path(method[0]), fire_info.get("line", 0), 0, f"`{fire_qual}` calls the registered callbacks"]
        for site, copies, steps in steps_from.threads_at((method[0], fire_qual)):
            yield site, copies, [*steps, fire]


def _registry_method(graph: Any, module: str, qual: str, callee: str) -> Optional[Node]:
    """The method `callee` names (`self.subscribe`, `self.bus.subscribe`, `Bus.subscribe` for a local
    `bus = Bus()`, `events.bus.subscribe` for a module's instance), when it registers a callback."""
    found: Optional[Node] = None
    head, _, rest = callee.partition(".")
    owner, _, method = callee.rpartition(".")
    if head == "self" and rest.count(".") == 1 and "." in qual:
        held = graph.summary(module)["classes"].get(qual.split(".")[0], {}).get("held", {}).get(rest.split(".")[0])
        cls = _class_of(graph, module, held[1], qual) if held and held[0] == "c" else None
        found = (cls[0], f"{cls[1]}.{method}") if cls else None
    else:
        cls = _class_of(graph, module, owner, qual) if owner else None
        if cls is not None:
            found = (cls[0], f"{cls[1]}.{method}")
        else:
            ref = graph.resolve_ref(module, qual, "n", callee)
            found = ref[0] if ref is not None else None
    if found is None or "registers" not in graph.summary(found[0])["functions"].get(found[1], {}):
        return None
    return found


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


def _own_threads(graph: Any, steps_from: Steps, module: str, klass: str, attr: str, weight: int) -> Iterator[_Arrival]:
    """Arrivals through `self.<attr>.<m>()` in code the threads `klass` starts on its own methods run."""
    summary = graph.summary(module)
    path = graph.path(module)
    for kind, ref_kind, text, scope, line, col, copies, own in _own_entries(summary, klass):
        if scope.split(".")[0] != klass:
            continue
        start = graph.resolve_ref(module, scope, ref_kind, text)
        if start is None:
            continue
        head = [path, line, col, f"{kind} `{text}` started in `{module}.{scope}`"]
        times = 2 if copies else weight
        for steps, method in _attr_calls(graph, steps_from, start[0], klass, attr):
            yield (path, line, col), times, [head, *steps], method


def _attr_calls(graph: Any, steps_from: Steps, start: Node, klass: str, attr: str) -> Iterator[tuple[list, str]]:
    """(steps, method) for each `self.<attr>.<method>()` in methods of `klass` that `start` reaches."""
    module = start[0]
    path = graph.path(module)
    prefix = f"self.{attr}."
    for node, steps in steps_from(start).items():
        if node[0] != module or node[1].split(".")[0] != klass:
            continue
        for call_kind, called, call_line, call_col in graph.summary(module)["functions"][node[1]].get("calls", []):
            if call_kind == "n" and called.startswith(prefix) and "." not in called[len(prefix):]:
                method = called[len(prefix):]
                yield [*steps, [path, call_line, call_col, f"`{node[1]}` calls `self.{attr}.{method}()`"]], method


def _handed_out(graph: Any, steps_from: Steps, module: str, qual: str, owner: Node, attr: str) -> Iterator[_Arrival]:
    """Arrivals through `self.<attr>.<m>()` from methods of `owner`'s objects that `module.qual` hands to
    threads itself: `w = Worker(stats); pool.submit(w.run)`, `workers = [Worker(stats) for ...]` then
    `for w in workers: Thread(target=w.run)`, `submit(task)` (its `__call__`). Objects made in a loop
    (several workers holding the one object) or run as copies count twice."""
    records = graph.summary(module)["functions"].get(qual, {}).get("h", [])
    path = graph.path(module)
    made = {r[1]: r for r in records if r[0] == "new"}
    for record in records:
        if record[0] != "give" or record[2] != "t" or record[1] not in made:
            continue
        new = made[record[1]]
        if graph.table.resolve(module, new[2], qual) != owner:
            continue
        start = (owner[0], f"{owner[1]}.{record[4]}")
        if start[1] not in graph.summary(owner[0])["functions"]:
            continue
        line, col, copies = record[6], record[7], record[8]
        head = [path, line, col, f"thread entry `{record[1]}.{record[4]}` started in `{module}.{qual}`"]
        for steps, method in _attr_calls(graph, steps_from, start, owner[1], attr):
            yield (path, line, col), 2 if copies or new[4] else 1, [head, *steps], method


def _callers(graph: Any, steps_from: Steps, module: str, klass: str, attr: str) -> list[_Arrival]:
    """Arrivals through `self.<attr>.<m>()` from the public methods of `klass` its own threads do not run:
    the callers' side of the class (the model CRL401 uses for the class's own attributes)."""
    summary = graph.summary(module)
    path = graph.path(module)
    on_threads: set[Node] = set()
    for _, ref_kind, text, scope, *_ in _own_entries(summary, klass):
        if scope.split(".")[0] == klass:
            start = graph.resolve_ref(module, scope, ref_kind, text)
            if start is not None:
                on_threads.update(steps_from(start[0]))
    found: list[_Arrival] = []
    prefix = f"self.{attr}."
    for qual in summary["functions"]:
        owner, _, name = qual.partition(".")
        if owner != klass or "." in name or name.startswith("_") or (module, qual) in on_threads:
            continue
        for node, steps in steps_from((module, qual)).items():
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
    """The entries that start `klass`'s own methods: threads it starts on them, and its `run` when it
    is a `Thread` subclass (a row of the entry table, recorded as an entry of `klass.run`)."""
    return [
        e for e in summary["entries"]
        if e[7] or e[0] == THREAD_SUBCLASS and e[3] == f"{klass}.run"
    ]
