"""Join the module summaries into per-file project facts: no parsing, names only.

A class is *shared* when the project holds a process-wide instance of it: a module global
bound to an instance (`_monitor = Monitor()`, also set lazily under `global`), returned by
an accessor (`get_monitor()`), a class-held singleton (`cls._instance`), or the entry of a
module-level container that callers index with a key they all share (`_STATS["total"].record()`,
`containers.py`: a key computed per thread shares nothing the index can show). A method of such a
class is *reached* when a thread entry in any module calls it through that instance, directly
or through functions in between (bounded depth). Facts are kept for an attribute only where
two threads can run its read-modify-write or lazy initialisation at once: two different
thread entries, or one entry that runs several copies (a pool's tasks, a thread started in a
loop), and only where no one lock is held around every such update: a call made under
`with lock:` holds it in the callee, in whatever module either is. A class that starts threads
on its own methods is left to CRL401/CRL402.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Optional

from .handover_join import handover_facts, merge
from .modules import SymbolTable, module_name
from ..analysis.locks import looks_like_lock_name
from .containers import MARK
from .object_data import accessor_object, container_object, global_object
from .walk_join import WalkTally
from .main_side import main_sides

#: how many calls a thread entry is followed through
MAX_DEPTH = 8
Node = tuple[str, str]  # (module, "f" | "C.m")


class _Graph:
    def __init__(self, table: SymbolTable) -> None:
        self.table = table
        self.instances: dict[tuple[str, str], Node] = {}  # (module, global) -> class
        self.containers: dict[tuple[str, str], Node] = {}  # (module, container global) -> class of its entries
        self.accessors: dict[Node, Node] = {}  # function -> class of the shared object it returns
        self.how: dict[Node, str] = {}  # class -> why it is shared
        self.objects: dict[Node, dict] = {}  # class -> how to get the object, as data (`object_data.py`)
        self._edges: dict[Node, list[tuple[Node, int, int, Optional[Node], frozenset]]] = {}
        self._shared_objects()

    def summary(self, module: str) -> dict:
        return self.table.modules[module][1]

    def path(self, module: str) -> str:
        return self.table.modules[module][0]

    def _shared_objects(self) -> None:
        for module, (_, summary) in self.table.modules.items():
            for name, called in summary["globals"].items():
                target = self.table.resolve(module, called)
                if target is not None and target[1] in self.summary(target[0])["classes"]:
                    self.instances[(module, name)] = target
                    self.how.setdefault(target, f"module global `{module}.{name}`")
                    self.objects.setdefault(target, global_object(module, name))
        for module, (_, summary) in self.table.modules.items():
            for name, called in summary.get("containers", {}).items():
                target = self.table.resolve(module, called)
                if target is not None and target[1] in self.summary(target[0])["classes"]:
                    self.containers[(module, name)] = target
                    self.how.setdefault(target, f"an entry of the module container `{module}.{name}`, indexed with a constant key")
                    self.objects.setdefault(target, container_object(module, name))
        for module, (_, summary) in self.table.modules.items():
            for qual, info in summary["functions"].items():
                returned = info.get("returns")
                if not returned:
                    continue
                if returned[0] == "g" and (module, returned[1]) in self.instances:
                    cls = self.instances[(module, returned[1])]
                elif returned[0] == "c" and qual.count(".") == 1:
                    cls = (module, qual.split(".")[0])
                else:
                    continue
                self.accessors[(module, qual)] = cls
                self.how[cls] = f"singleton accessor `{module}.{qual}()`"
                self.objects[cls] = accessor_object(module, qual)

    def resolve_ref(self, module: str, scope: str, kind: str, text: str) -> Optional[tuple[Node, Optional[Node]]]:
        """The function a call (or entry target) reaches, and the shared class it goes through."""
        summary = self.summary(module)
        if kind == "r":
            made, _, method = text.partition("|")
            source = self.table.resolve(module, made, scope)
            cls = self.accessors.get(source) if source is not None else None
            if cls is None:
                return None
            return self._method(cls, method, cls)
        if MARK in text:  # `_STATS[KEY].record()`: an entry every caller shares
            container, _, method = text.partition(MARK)
            symbol = self.table.resolve(module, container, scope)
            cls = self.containers.get(symbol) if symbol is not None else None
            return self._method(cls, method, cls) if cls is not None and "." not in method else None
        head, _, rest = text.partition(".")
        if head in ("self", "cls") and rest and "." in scope:
            cls_name = scope.split(".")[0]
            if cls_name not in summary["classes"]:
                return None
            if "." not in rest:
                return self._method((module, cls_name), rest, None)
            attr, _, method = rest.partition(".")
            held = summary["classes"][cls_name].get("held", {}).get(attr)
            if held is None or "." in method:
                return None
            if held[0] == "c":  # `self.monitor = get_monitor()`
                return self.resolve_ref(module, cls_name, "r", f"{held[1]}|{method}")
            return self.resolve_ref(module, "", "n", f"{held[1]}.{method}")  # `self.monitor = _monitor`
        symbol = self.table.resolve(module, text, scope)
        if symbol is None:
            return None
        owner, local = symbol
        functions = self.summary(owner)["functions"]
        if local in functions:
            return (owner, local), None
        first, _, method = local.partition(".")
        if method and "." not in method and (owner, first) in self.instances:
            cls = self.instances[(owner, first)]
            return self._method(cls, method, cls)
        return None

    def _method(self, cls: Node, method: str, via: Optional[Node]) -> Optional[tuple[Node, Optional[Node]]]:
        qual = f"{cls[1]}.{method}"
        if qual in self.summary(cls[0])["functions"]:
            return (cls[0], qual), via
        return None

    def edges(self, node: Node) -> list[tuple[Node, int, int, Optional[Node], frozenset]]:
        """(callee, line, column, shared class passed through, locks the call is made under)."""
        if node not in self._edges:
            found = []
            info = self.summary(node[0])["functions"].get(node[1], {})
            under = {(line, col): refs for line, col, refs in info.get("under", ())}
            for kind, text, line, col in info.get("calls", []):
                target = self.resolve_ref(node[0], node[1], kind, text)
                if target is not None and target[0] != node:
                    refs = under.get((line, col), ())
                    locks = frozenset(k for k in (self.lock_id(node[0], node[1], *ref) for ref in refs) if self.is_lock(k))
                    found.append((target[0], line, col, target[1], locks))
            self._edges[node] = found
        return self._edges[node]

    def is_lock(self, key: Optional[tuple]) -> bool:
        """The lock a `lock_id` names is one: named like a lock, or bound to a lock constructor in the
        module defining it (`summary["locks"]`, `lock_names.py`)."""
        if key is None:
            return False
        module, name = (key[1][0], key[2]) if key[0] == "attr" else (key[1], key[2])
        return looks_like_lock_name(name) or name.rsplit(".", 1)[-1] in self.summary(module).get("locks", ())

    def lock_id(self, module: str, scope: str, kind: str, text: str) -> Optional[tuple]:
        """One identity for a lock however it is written, or None when it may be a different object
        per caller (a local, a parameter, `self.lock` of a class with many instances)."""
        if kind == "r":
            made, _, attr = text.partition("|")
            source = self.table.resolve(module, made, scope)
            cls = self.accessors.get(source) if source is not None else None
            return ("attr", cls, attr) if cls is not None else None
        head, _, rest = text.partition(".")
        if head in ("self", "cls") and rest and "." not in rest and "." in scope:
            cls = (module, scope.split(".")[0])
            return ("attr", cls, rest) if head == "cls" or cls in self.how else None
        symbol = self.table.resolve(module, text, scope)
        if symbol is None:
            return None
        owner, local = symbol
        first, _, attr = local.partition(".")
        if attr and "." not in attr and (owner, first) in self.instances:
            return ("attr", self.instances[(owner, first)], attr)
        if not attr and local not in self.summary(owner)["globals"]:
            return None  # a function or class, not a lock object
        return ("sym", owner, local)


def _reach(graph: _Graph, start: Node, via: Optional[Node]) -> dict[Node, tuple[list, frozenset, frozenset, frozenset]]:
    """Each function reached from `start`: its call path (steps), the shared classes passed through,
    the locks held on every path found to it (a call made under `with lock:`, in any module), and
    those held on some path (a fix must not take one of these again)."""
    seen: dict[Node, tuple[list, frozenset]] = {start: ([], frozenset([via]) if via else frozenset())}
    held: dict[Node, frozenset] = {start: frozenset()}
    some: dict[Node, frozenset] = {start: frozenset()}
    queue = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        if depth >= MAX_DEPTH:
            continue
        steps, vias = seen[node]
        for target, line, col, through, locks in graph.edges(node):
            now, maybe = held[node] | locks, some[node] | locks
            if target in seen:
                if not held[target] <= now or not maybe <= some[target]:  # another path, other locks
                    held[target] &= now
                    some[target] |= maybe
                    queue.append((target, depth + 1))
                continue
            label = f"`{node[1]}` calls `{target[1]}`" + (f" on the shared `{through[1]}`" if through else "")
            seen[target] = ([*steps, [graph.path(node[0]), line, col, label]], vias | ({through} if through else set()))
            held[target], some[target] = now, maybe
            queue.append((target, depth + 1))
    return {node: (steps, vias, held[node], some[node]) for node, (steps, vias) in seen.items()}


def join(summaries: dict[str, dict]) -> dict[str, dict]:
    """path -> project facts, for the files defining a shared class whose methods thread entries reach."""
    modules: dict[str, tuple[str, dict]] = {}
    for path in sorted(summaries):
        summary = summaries[path]
        if summary:
            modules.setdefault(module_name(path), (path, summary))
    graph = _Graph(SymbolTable(modules))
    handed = handover_facts(graph, _reach)
    if not graph.how:
        return handed
    # (class, attr) -> entry sites reaching an unguarded update of it, and whether one runs copies
    sites: dict[tuple[Node, str], set] = {}
    concurrent: dict[tuple[Node, str], bool] = {}
    reached: dict[tuple[Node, str], list] = {}  # (class, method) -> paths
    guards: dict[tuple[Node, str], frozenset] = {}  # (class, attr) -> locks every path to an update holds
    holders: dict[tuple[Node, str], set] = {}  # (class, method) -> the object's own locks some caller holds
    walks = WalkTally()  # CRL405: walks and size changes of the shared objects' attributes (`walk_join.py`)
    for module, (path, summary) in modules.items():
        for kind, ref_kind, text, scope, line, col, copies, own in summary["entries"]:
            start = graph.resolve_ref(module, scope, ref_kind, text)
            if start is None:
                continue
            head = [path, line, col, f"{kind} `{text.replace('|', '().')}` started in `{module}.{scope}`"]
            for node, (steps, vias, locks, maybe) in _reach(graph, start[0], start[1]).items():
                cls = (node[0], node[1].split(".")[0])
                if "." not in node[1] or cls not in vias or cls not in graph.how:
                    continue
                if graph.summary(cls[0])["classes"].get(cls[1], {}).get("own_threads"):
                    continue
                info = graph.summary(node[0])["functions"][node[1]]
                if "walks" in info or "sizes" in info:
                    walks.note(graph, cls, node, info, (path, line, col), bool(copies), locks, [head, *steps])
                attrs = {a for a, _, _, locked in (*info.get("rmw", []), *info.get("lazy", [])) if not locked}
                if not attrs:
                    continue
                paths = reached.setdefault((cls, node[1]), [])
                holders.setdefault((cls, node[1]), set()).update(a for k, c, a in maybe if k == "attr" and c == cls)
                if len(paths) < 3:
                    paths.append([head, *steps])
                for attr in attrs:
                    sites.setdefault((cls, attr), set()).add((path, line, col))
                    guards[(cls, attr)] = guards[(cls, attr)] & locks if (cls, attr) in guards else locks
                    concurrent[(cls, attr)] = concurrent.get((cls, attr), False) or bool(copies)
    racing = {key for key, where in sites.items() if (len(where) > 1 or concurrent[key]) and not guards[key]}
    facts: dict[str, dict] = {}
    for (cls, qual), paths in reached.items():
        info = graph.summary(cls[0])["functions"][qual]
        attrs = sorted(
            {a for a, _, _, locked in (*info.get("rmw", []), *info.get("lazy", [])) if not locked and (cls, a) in racing}
        )
        if not attrs:
            continue
        entry = facts.setdefault(graph.path(cls[0]), {"classes": {}})
        klass = entry["classes"].setdefault(
            cls[1], {"shared": graph.how[cls], "object": {**graph.objects[cls], "class": f"{cls[0]}.{cls[1]}"}, "methods": {}}
        )
        klass["methods"][qual.split(".", 1)[1]] = {"attrs": attrs, "paths": paths}
        if holders.get((cls, qual)):  # `with monitor.lock: monitor.record()` somewhere: not to be taken again
            klass["methods"][qual.split(".", 1)[1]]["caller_locks"] = sorted(holders[(cls, qual)])
    main_sides(graph, _reach, modules, walks)  # the starting thread calling the object while its entries run
    walks.facts(graph, facts)
    return merge(facts, handed)


def dependencies(facts: dict[str, dict]) -> Iterable[str]:
    """Every file a fact's paths go through (for tests and reports)."""
    for entry in facts.values():
        for klass in entry["classes"].values():
            for method in klass["methods"].values():
                for steps in method["paths"]:
                    for step in steps:
                        yield step[0]
