"""A module's summary for the project index: small, JSON-serialisable, built from CPython's `ast`.

Built in phase 1 from the tree the prefilter parses anyway (no LibCST), cached with the
file's result. It records names as written; `join.py` resolves them across modules:

- `imports`: local name -> [level, module, imported name or None];
- `globals`: module global -> the called name that binds it (`_x = Monitor()`, also inside a
  function declaring `global _x`): a candidate process-wide instance;
- `functions`: "f", "C.m", "f.inner" -> its line, the calls it makes (["n", "a.b"] for `a.b()`,
  ["r", "get_x|m"] for `get_x().m()` or `v = get_x(); v.m()`), what it returns when that is
  a shared object (["g", "_x"]: a module global, ["c", ""]: a class-held instance), and for
  methods the `self.<attr>` read-modify-writes and lazy initialisations (attr, line, column,
  under a `with <lock>`);
- `classes`: name -> line, column, and whether it starts threads on its own methods;
- `entries`: thread entries (the rows of `analysis.entry_table` and the project's
  `thread-entries`, through `entries.Entries`): kind, target as written, the function making it
  (for a framework class's method, the method itself), position, and whether several copies
  may run at once;
- `one_shot_calls`: name -> how often one-shot code calls it (`one_shot_callers.py`); functions
  also carry their last line (`end`), to place a finding in them;
- for the event-loop model (`event_loop.py`): a function's `async` (a coroutine), `loop` (it runs
  an event loop: 1 on a coroutine call the index follows, 2 on one it cannot) and `scheduled` (what
  it hands to `loop.call_soon`/`call_later`/...); a class's `thread` (a `Thread` subclass) and
  `protocol` (an asyncio protocol); `handed`: the module's private names handed on as values.
- per function, `under`: [line, column, locks] of each call made inside `with <lock>:` (locks as
  refs, like calls): the callee runs holding them, wherever it is defined.
- `spawns`: the functions ("f", "C.m", "<module>") making any thread-entry call, its target
  resolved or not, and the classes deriving from a thread class (`thread_reach.py`);
- `imported`: every module an import statement names, as [level, module, name or None]
  (`import a.b` keeps `a.b`, which `imports` shortens to the bound name `a`);
- `import_calls`: the names called by the module's own top-level statements, unconditionally
  at import (not in an `if`, `try`, loop, lambda or def), and functions carry `gstores`, the
  globals they declare and assign (`import_time.py`: accessors first called at import).
- `dead_defs`: the names each top-level definition and the rest of the module's code use, for
  `dead_defs.py` (and `thread_reach.py`'s names of a module), so the join never parses again.
- `containers`: module global -> the class of the objects kept in it (`_STATS = {}` filled with
  `Stats()`); a call on an entry under a key every caller shares is the ref
  ["n", "_STATS[].record"] (`containers.py`).
Locks (`with` items, `acquire()` receivers in `under`, the `locked` flags) are the names the
rules count as locks: named like one, or bound to a lock constructor in this module, resolved
once the walk has seen every binding (`lock_names.py`).
The facts are a superset: phase 2 re-checks each access with the full lock analysis.
"""

from __future__ import annotations

import ast
from collections import Counter
from typing import Optional, Union

from ..ftypes import ThreadEntrySpec
from ..analysis.deferred_defs import ast_runs_later
from ..analysis.entry_table import method_matches
from ..analysis.traverse import node_types
from . import containers, dead_defs, entry_locals, handover, main_side, timed_acquire, walk_facts
from .entries import (
    dotted,
    SPAWNING_BASES,
    THREAD_BASES,
    Entries,
    asyncio_protocol,
    entries_for,
    handed_values,
    node_last_name,
    runs_event_loop,
    scheduled_callback,
)
from .lock_names import LockBindings, elsewhere, resolve_locked
from .one_shot_callers import ARGV_READERS, OneShotTally

VERSION = 12
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
#: nodes with nothing below them the summary reads
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.Pass)
MODULE_CODE = "<module>"
#: fields that hold no call the summary needs (contexts, operators, annotations)
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "annotation", "returns", "type_comment", "type_ignores"})
_FIELDS: dict[type, tuple[str, ...]] = {}


#: what `children` never visits (by exact type, no `isinstance`): the leaves, and the values of fields holding no node
_NOT_VISITED = node_types(*_LEAVES) | {type(None), str, int, bool, bytes, float, complex, type(...)}


def build_summary(tree: ast.Module, extra_entries: tuple[ThreadEntrySpec, ...] = ()) -> dict:
    """The summary of one parsed module (see the module docstring for its shape); one walk of the tree.

    `extra_entries`: the project's `[tool.racelint] thread-entries`, recognised like the built-in rows."""
    builder = _Builder(entries_for(extra_entries))
    module = _Frame(MODULE_CODE, None, builder.functions, direct=False)
    builder.walk_body(tree.body, module, False, False)
    builder.finish(module)
    builder.resolve_locks()
    builder.prune()
    builder.class_entries()
    return {
        "v": VERSION,
        "imports": builder.imports,
        "globals": builder.globals,
        "functions": builder.functions,
        "classes": builder.classes,
        "entries": builder.entries,
        "handed": sorted(builder.handed),
        "one_shot_calls": builder.tally.result(tree),
        "spawns": sorted(builder.spawns),
        "imported": builder.imported,
        "containers": builder.containers(),
        "locks": builder.lock_names,
        "import_calls": import_calls(tree),
        "dead_defs": dead_defs.record(tree),
    }


class _Frame:
    """The function (or module code, or class body) the walk is in."""

    __slots__ = ("qual", "class_name", "info", "aliases", "declared", "bound", "method", "direct", "argv", "lam", "hand_params", "hand_new", "node", "amap", "entry_locals")

    def __init__(
        self, qual: str, class_name: Optional[str], functions: dict, method: bool = False, direct: bool = True
    ) -> None:
        self.qual = qual
        self.class_name = class_name
        self.info: dict = {"calls": [], "returns": None}
        if method:
            self.info["rmw"], self.info["lazy"] = [], []
        functions[qual] = self.info
        self.aliases: dict[str, str] = {}
        self.declared: set[str] = set()
        self.bound: set[str] = set()  # parameters and locals: calls on them resolve to nothing
        self.method = method
        self.direct: Optional[Counter] = Counter() if direct else None  # calls made here, not in lambdas
        self.argv = False  # parses the command line
        self.lam = 0  # inside how many lambdas
        self.hand_params: list[str] = []  # parameters and locals made by a call (`handover.py`)
        self.hand_new: Optional[dict] = None
        self.node: Optional[ast.AST] = None  # the def, for its acquire regions
        self.amap: Optional[dict[int, list[str]]] = None  # `acquire_held.acquire_map`, once it calls `acquire()`
        self.entry_locals: Optional[entry_locals.EntryLocals] = None  # `s = _STATS[KEY]` (`entry_locals.py`)


class _Builder:
    def __init__(self, table: Entries) -> None:
        self.table = table
        self.held: list[list[list]] = []  # the locks of the `with` statements around the walk, innermost last
        self.acquired: list[list] = []  # the locks acquire regions hold at the statement being walked
        self.entry_classes: dict[str, list[ThreadEntrySpec]] = {}  # class -> the base rows it matches
        self.unthreaded: set[str] = set()  # calls seen with their "runs one thread" keyword set
        self.imports: dict[str, list] = {}
        self.globals: dict[str, str] = {}
        self.functions: dict[str, dict] = {}
        self.classes: dict[str, dict] = {}
        self.entries: list[list] = []
        self.handed: set[str] = set()  # private callables passed as values (`project/event_loop.py`)
        self.spawns: set[str] = set()
        self.imported: list[list] = []
        self.tally = OneShotTally()
        self.locks = LockBindings()  # what names and attributes are bound to (`lock_names.py`)
        self.lock_names: list[str] = []  # the names and attributes bound to a lock constructor here
        self.constants: set[str] = set()  # module globals bound to a literal: a key every thread shares
        self.container_globals: dict[str, str] = {}  # module global -> "" or its element class (`containers.py`)
        self.container_items: dict[str, str] = {}  # name -> the class stored into it (`X[k] = C()`)

    # -- the walk -----------------------------------------------------------------------
    def walk_body(self, body: list, frame: _Frame, looped: bool, locked: bool) -> None:
        for node in body:
            if frame.amap is None:
                self.visit(node, frame, looped, locked)
            else:
                self.visit_held(node, frame, looped, locked)

    def children(self, node: ast.AST, frame: _Frame, looped: bool, locked: bool) -> None:
        kind = type(node)
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(name for name in kind._fields if name not in _SKIPPED_FIELDS)
        visit = self.visit
        skipped = _NOT_VISITED
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if type(item) in skipped:
                        continue
                    if frame.amap is not None and isinstance(item, ast.stmt):
                        self.visit_held(item, frame, looped, locked)
                    else:
                        visit(item, frame, looped, locked)
            elif type(value) not in skipped:
                visit(value, frame, looped, locked)

    def visit(self, node: ast.AST, frame: _Frame, looped: bool, locked: bool) -> None:
        kind = type(node)
        if frame.method and frame.lam == 0 and kind in walk_facts.KINDS:  # CRL405's walks and size changes (`walk_facts.py`)
            walk_facts.note(frame.info, node, self._locked())
        if kind is ast.Call:
            self._call(node, frame, looped)  # type: ignore[arg-type]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            self._function(node, frame)  # type: ignore[arg-type]
            return
        elif kind is ast.ClassDef:
            self._class(node, frame)  # type: ignore[arg-type]
            return
        elif kind is ast.Assign:
            self._assign(node, frame, self._locked())  # type: ignore[arg-type]
            handover.note_assign(frame, node, looped, self.classes)  # type: ignore[arg-type]
        elif kind is ast.AugAssign or kind is ast.AnnAssign:
            self._store(node, frame, self._locked())
        elif kind is ast.If:
            self._if(node, frame, self._locked())  # type: ignore[arg-type]
        elif kind is ast.Return:
            if node.value is not None and frame.info["returns"] is None:  # type: ignore[attr-defined]
                frame.info["returns"] = self._returned(node.value, frame)  # type: ignore[attr-defined]
        elif kind is ast.Global:
            frame.declared.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Import or kind is ast.ImportFrom:
            self._import(node)
            return
        elif kind is ast.Lambda:
            frame.lam += 1
            self.children(node, frame, looped, locked)
            frame.lam -= 1
            return
        elif kind in _LOOPS:
            looped = True
            if kind is ast.For or kind is ast.AsyncFor:
                handover.note_for(frame, node)
        elif kind is ast.With or kind is ast.AsyncWith:
            main_side.note_with(frame.info, node)  # `with ThreadPoolExecutor() as pool:` waits at its exit
            names = _lock_names(node)  # type: ignore[arg-type]
            if names:
                self.held.append([_lock_ref(name, frame.aliases) for name in names])
                self.children(node, frame, looped, True)
                self.held.pop()
                return
        self.children(node, frame, looped, locked)

    def _locked(self) -> list:
        """The candidate lock refs held here (`with` items, acquire regions), resolved by `resolve_locks`."""
        refs = [ref for refs in self.held for ref in refs]
        return refs + [ref for ref in self.acquired if ref not in refs]

    def resolve_locks(self) -> None:
        """Keep the candidate locks that are locks (named like one or bound to a lock constructor),
        now that the walk has seen every binding: `under` keeps the calls still made under one,
        read-modify-writes and lazy initialisations get their `locked` flag."""
        kinds = self.locks.kinds(self.imports)
        self.lock_names = sorted(kinds.names | kinds.attrs)
        imports = self.imports
        for info in self.functions.values():
            timed_acquire.settle_info(info, kinds)  # a timed acquire met before its lock's binding
            if "under" in info:
                under = [
                    [line, col, [r for r in refs if kinds.is_lock_ref(r) or elsewhere(r, imports)]]
                    for line, col, refs in info["under"]
                ]
                info["under"] = [row for row in under if row[2]]
                if not info["under"]:
                    del info["under"]
            for key in ("rmw", "lazy"):
                for row in info.get(key, ()):
                    row[3] = resolve_locked(row[3], kinds)
            walk_facts.resolve(info, kinds, imports)

    def visit_held(self, node: ast.stmt, frame: _Frame, looped: bool, locked: bool) -> None:
        """Visit a statement of a function calling `acquire()` with the locks its acquire regions hold."""
        saved = self.acquired
        keys = frame.amap.get(id(node)) if frame.amap is not None else None
        self.acquired = [timed_acquire.lock_ref(key, frame.aliases, _lock_ref) for key in keys] if keys else []
        self.visit(node, frame, looped, locked)
        self.acquired = saved

    # -- definitions ----------------------------------------------------------------------
    def _function(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef], outer: _Frame) -> None:
        frame_class = outer.class_name if outer.qual.endswith(".<class>") else None
        if frame_class is not None:
            qual = f"{frame_class}.{node.name}"
        elif outer.qual == MODULE_CODE:
            qual = node.name
        else:
            qual = f"{outer.qual}.{node.name}"
            outer.bound.add(node.name)
        frame = _Frame(qual, frame_class or outer.class_name, self.functions, method=frame_class is not None)
        frame.node = node
        frame.info["line"], frame.info["col"] = node.lineno, node.col_offset
        frame.info["end"] = node.end_lineno
        if isinstance(node, ast.AsyncFunctionDef):
            frame.info["async"] = 1  # runs on an event loop (`project/event_loop.py`)
        handover.note_function(frame, node)
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg):
            if arg is not None:
                frame.bound.add(arg.arg)
        for default in (*arguments.defaults, *arguments.kw_defaults):
            if default is not None:
                self.visit(default, outer, False, False)
        for decorator in node.decorator_list:
            self.visit(decorator, outer, False, False)
        held, acquired = self.held, self.acquired
        scope = outer.node if frame_class is None else None  # a method runs later, wherever it is called
        if (held or acquired) and ast_runs_later(node, scope):  # a callback runs later, without the lock
            self.held, self.acquired = [], []
        self.walk_body(node.body, frame, False, False)
        self.held, self.acquired = held, acquired
        self.finish(frame)
        handover.finish(frame)
        nested = frame_class is None and outer.qual != MODULE_CODE
        self.tally.function(node, frame_class, nested, frame.direct, frame.argv)  # type: ignore[arg-type]

    def _class(self, node: ast.ClassDef, outer: _Frame) -> None:
        for base in node.bases:
            self.visit(base, outer, False, False)
        if any((dotted(base) or "").rpartition(".")[2] in SPAWNING_BASES for base in node.bases):
            self.spawns.add(node.name if outer.qual == MODULE_CODE else outer.qual)
        if outer.qual != MODULE_CODE:  # a class in a function: its methods are that function's nested code
            outer.bound.add(node.name)
            self.walk_body(node.body, outer, False, False)
            return
        self.classes[node.name] = {"line": node.lineno, "col": node.col_offset, "own_threads": False, "held": {}}
        if any(node_last_name(base) in THREAD_BASES for base in node.bases):
            self.classes[node.name]["thread"] = True  # its `run()` is a thread entry
        if asyncio_protocol(node, self.imports):
            self.classes[node.name]["protocol"] = True  # the loop calls its callbacks
        written = [name for name in (dotted(base) for base in node.bases) if name]
        rows = self.table.class_rows(written) + [r for b in written for r in self.entry_classes.get(b, ())]
        if rows:
            self.entry_classes[node.name] = rows
        self.tally.class_bases(node)
        body = _Frame(f"{node.name}.<class>", node.name, {}, direct=False)
        self.walk_body(node.body, body, False, False)

    def finish(self, frame: _Frame) -> None:
        """Calls on parameters and locals name nothing another module defines: dropped."""
        entry_locals.settle(frame)  # calls through `s = _STATS[KEY]` where `s` is bound more than once
        local = frame.bound - frame.declared - {"self", "cls"}
        frame.info["calls"] = [c for c in frame.info["calls"] if c[0] == "r" or containers.head(c[1]) not in local]

    def containers(self) -> dict[str, str]:
        """Module globals bound to a container -> the class of the objects stored in it (`containers.py`)."""
        found = {}
        for name, called in self.container_globals.items():
            called = called or self.container_items.get(name, "")
            if called:
                found[name] = called
        return found

    def prune(self) -> None:
        """Drop calls of names the module neither defines nor imports (builtins, attributes of literals)."""
        known = {*self.functions, *self.classes, *self.globals, *self.imports, *self.container_globals, "self", "cls"}
        known.update(q.split(".")[-1] for q in self.functions)
        for info in self.functions.values():
            info["calls"] = [c for c in info["calls"] if c[0] == "r" or containers.head(c[1]) in known]
            if "h" in info:
                handover.prune(info, known, self.functions)
        for klass in self.classes.values():  # an attribute holding a parameter or a local names nothing shared
            klass["held"] = {
                attr: held for attr, held in klass["held"].items()
                if (held[0] == "g" and held[1] in self.globals) or (held[0] == "c" and held[1].split(".")[0] in known)
            }

    def class_entries(self) -> None:
        """Methods of classes deriving from a table row's base (`socketserver` handlers, users' bases)
        are thread entries, where the row runs on threads in this module (`threaded_by`, `unthreaded_by`)."""
        if not self.entry_classes:
            return
        names = {*self.imports, *(i[2] or i[1] for i in self.imports.values()), *self.globals.values()}
        names.update(c[1] for info in self.functions.values() for c in info["calls"])
        written = {part for name in names for part in name.split(".")}
        for cls, rows in self.entry_classes.items():
            for spec in rows:
                if spec.threaded_by and not any(t.rsplit(".", 1)[-1] in written for t in spec.threaded_by):
                    continue
                if spec.unthreaded_by[0] and spec.unthreaded_by[0].rsplit(".", 1)[-1] in self.unthreaded:
                    continue
                for qual, info in self.functions.items():
                    owner, _, method = qual.partition(".")
                    if owner != cls or "." in method or not (spec.per_call or method_matches(method, spec.methods)):
                        continue
                    copies = spec.concurrent and not spec.holds
                    self.entries.append([spec.label, "n", f"self.{method}", qual, info["line"], info["col"], copies, False])
                break

    def _unthreaded(self, node: ast.Call) -> None:
        """`FUSE(ops, nothreads=True)`: this module runs the row's entries on one thread."""
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg in self.table.unthreaders[func_name(node.func)] and not (
                isinstance(value, ast.Constant) and not value.value
            ):
                self.unthreaded.add(func_name(node.func))

    # -- statements -------------------------------------------------------------------------
    def _import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported.append([0, alias.name, None])
                if alias.asname:
                    self.imports[alias.asname] = [0, alias.name, None]
                else:
                    head = alias.name.split(".")[0]
                    self.imports.setdefault(head, [0, head, None])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.imported.append([node.level, node.module or "", None if alias.name == "*" else alias.name])
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = [node.level, node.module or "", alias.name]

    def _assign(self, node: ast.Assign, frame: _Frame, locked: bool) -> None:
        value = node.value
        if not isinstance(value, ast.Call):  # a call's arguments are seen by `_call`
            self.handed.update(handed_values(value))
        called = dotted(value.func) if isinstance(value, ast.Call) else None
        if called:
            self._bind(node.targets, called, frame)
        if frame.qual != MODULE_CODE:
            entry_locals.note_assign(frame, node, self.constants)  # `s = _STATS[KEY]`, before `s` counts as bound
        self._container_assign(node.targets, value, frame)
        for target in node.targets:
            if isinstance(target, ast.Name):
                name = target.id
                if name in frame.declared:
                    _global_store(frame, name)
                if called and (frame.qual == MODULE_CODE or name in frame.declared):
                    self.globals[name] = called
                elif called:
                    frame.aliases[name] = called
                if frame.qual != MODULE_CODE:
                    frame.bound.add(name)
            elif isinstance(target, (ast.Tuple, ast.List)):
                frame.bound.update(e.id for e in target.elts if isinstance(e, ast.Name))
                for element in target.elts:
                    if isinstance(element, ast.Name) and element.id in frame.declared:
                        _global_store(frame, element.id)
        if frame.method and frame.class_name in self.classes:
            for target in node.targets:  # `self.monitor = get_monitor()`: what the attribute holds
                held = _self_attr(target)
                if held and (called or isinstance(value, ast.Name)):
                    kept = ["c", called] if called else ["g", value.id]  # type: ignore[attr-defined]
                    self.classes[frame.class_name]["held"].setdefault(held, kept)  # type: ignore[index]
        if frame.method and len(node.targets) == 1:
            attr = _stored_attr(node.targets[0])
            if attr and _reads(value, attr):
                frame.info["rmw"].append([attr, node.lineno, node.col_offset, locked])

    def _bind(self, targets: list, called: str, frame: _Frame) -> None:
        """Record `x = f()` at module or class level (or under `global`) and `obj.x = f()` anywhere."""
        for target in targets:
            if isinstance(target, ast.Name):
                if frame.qual == MODULE_CODE or frame.qual.endswith(".<class>") or target.id in frame.declared:
                    self.locks.bind(target.id, called, False)
            elif isinstance(target, ast.Attribute):
                self.locks.bind(target.attr, called, True)

    def _container_assign(self, targets: list, value: ast.expr, frame: _Frame) -> None:
        """Module constants (`KEY = "a"`), containers (`_STATS = {}`) and what is stored in them (`_STATS[k] = C()`)."""
        if frame.qual == MODULE_CODE:
            for target in targets:
                if isinstance(target, ast.Name):
                    if isinstance(value, ast.Constant):
                        self.constants.add(target.id)
                    kind = containers.container_class(value)
                    if kind is not None:
                        self.container_globals[target.id] = kind
        if isinstance(value, ast.Call):
            stored = containers.stored_class(ast.Assign(targets=targets, value=value))
            if stored is not None and (frame.qual == MODULE_CODE or stored[0] not in frame.bound):
                self.container_items.setdefault(*stored)

    def _store(self, node: ast.AST, frame: _Frame, locked: bool) -> None:
        target = node.target  # type: ignore[attr-defined]
        if isinstance(target, ast.Name) and target.id in frame.declared:
            _global_store(frame, target.id)
        if isinstance(target, ast.Name) and frame.qual != MODULE_CODE:
            frame.bound.add(target.id)
        if isinstance(node, ast.AnnAssign):
            if isinstance(node.value, ast.Call) and isinstance(target, ast.Name) and frame.qual == MODULE_CODE:
                called = dotted(node.value.func)
                if called:
                    self.globals[target.id] = called
            if isinstance(node.value, ast.Call) and (called := dotted(node.value.func)):
                self._bind([target], called, frame)
            if node.value is not None:
                self._container_assign([target], node.value, frame)
            return
        if frame.method:
            attr = _stored_attr(target)
            if attr:
                frame.info["rmw"].append([attr, node.lineno, node.col_offset, locked])  # type: ignore[attr-defined]

    def _if(self, node: ast.If, frame: _Frame, locked: bool) -> None:
        if not frame.method:
            return
        attr = _lazy_test(node.test)
        if attr and any(isinstance(s, ast.Assign) and any(_self_attr(t) == attr for t in s.targets) for s in node.body):
            frame.info["lazy"].append([attr, node.lineno, node.col_offset, locked])

    def _returned(self, value: ast.expr, frame: _Frame) -> Optional[list]:
        if isinstance(value, ast.Name) and (value.id in frame.declared or value.id in self.globals):
            return ["g", value.id]
        if frame.class_name is not None and isinstance(value, ast.Attribute):
            owner = dotted(value.value)
            if owner in ("cls", frame.class_name):
                return ["c", value.attr]
        return None

    def _call(self, node: ast.Call, frame: _Frame, looped: bool) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("join", "shutdown", "wait"):
            main_side.note_wait(frame.info, node)  # the starter waits for its threads (`main_side.py`)
        if isinstance(func, ast.Attribute) and func.attr == "acquire" and frame.amap is None and frame.node is not None:
            frame.amap = timed_acquire.acquire_regions(frame.node, self.locks, self.imports)  # the statements after it: visited holding what it takes
        if frame.direct is not None and frame.lam == 0 and isinstance(func, (ast.Name, ast.Attribute)):
            name = func.id if isinstance(func, ast.Name) else func.attr
            frame.direct[name] = frame.direct.get(name, 0) + 1
            if name in ARGV_READERS and not node.args and not node.keywords:
                frame.argv = True
        loop_run = runs_event_loop(node)
        if loop_run:  # `project/event_loop.py`: an event loop runs on this function's thread
            frame.info["loop"] = max(frame.info.get("loop", 0), loop_run)
        callback = scheduled_callback(node)
        self.handed.update(handed_values(node, callback))
        ref = call_ref(_unwrap(callback), frame.aliases) if callback is not None else None
        if ref is not None:
            frame.info.setdefault("scheduled", []).append(ref)  # runs later on the loop's thread
        ref = call_ref(func, frame.aliases)
        if isinstance(func, ast.Attribute):
            if ref is None or ref[0] == "r":  # `_STATS[KEY].record()`
                ref = containers.keyed_ref(func, self.constants, frame.bound) or ref
            if frame.entry_locals is not None:  # `s = _STATS[KEY]; s.record()`
                ref = entry_locals.call_ref(func, frame) or ref
            stored = containers.stored_class(node)  # `_STATS.setdefault(k, Stats())`
            if stored is not None and (frame.qual == MODULE_CODE or stored[0] not in frame.bound):
                self.container_items.setdefault(*stored)
        if ref is not None:
            frame.info["calls"].append([*ref, node.lineno, node.col_offset])
            if frame.entry_locals is not None:
                entry_locals.note_call(frame, func, frame.info["calls"][-1])
            if (self.held or self.acquired) and frame.lam == 0:  # a call under a lock: its callee runs holding it
                refs = [r for h in self.held for r in h]
                refs += [r for r in self.acquired if r not in refs]
                frame.info.setdefault("under", []).append([node.lineno, node.col_offset, refs])
        if node.keywords and func_name(func) in self.table.unthreaders:
            self._unthreaded(node)
        entry = self.table.call(node)
        if entry is not None:
            self.spawns.add(frame.qual.split(".<class>")[0] if frame.qual.endswith(".<class>") else frame.qual)
        target = call_ref(_unwrap(entry.target), frame.aliases) if entry is not None else None
        if frame.hand_new is not None:
            handover.note_call(frame, node, entry, looped, target)
        if entry is None or target is None:
            return
        own = frame.class_name is not None and target[1].startswith("self.")
        if own and frame.class_name in self.classes:
            self.classes[frame.class_name]["own_threads"] = True
        self.entries.append([entry.kind, *target, frame.qual, node.lineno, node.col_offset, entry.concurrent or looped, own])


def func_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _global_store(frame: _Frame, name: str) -> None:
    stores = frame.info.setdefault("gstores", [])
    if name not in stores:
        stores.append(name)


#: top-level statements whose calls run whenever the module is imported
_UNCONDITIONAL = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)


def import_calls(tree: ast.Module) -> list[str]:
    """The dotted names the module's unconditional top-level statements call (`x = get()`)."""
    found: list[str] = []
    for stmt in tree.body:
        if not isinstance(stmt, _UNCONDITIONAL):
            continue
        stack: list[ast.AST] = [stmt]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Lambda, ast.GeneratorExp)):
                continue  # runs later, or when consumed
            if isinstance(node, ast.Call):
                name = dotted(node.func)
                if name is not None and name not in found:
                    found.append(name)
            stack.extend(ast.iter_child_nodes(node))
    return found


def _unwrap(target: ast.expr) -> ast.expr:
    """The callable inside `functools.partial(f, ...)` or `lambda: f(...)`."""
    if isinstance(target, ast.Call) and (dotted(target.func) or "").split(".")[-1] == "partial" and target.args:
        return target.args[0]
    if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
        return target.body.func
    return target


def call_ref(func: ast.expr, aliases: dict[str, str]) -> Optional[list]:
    """["n", "a.b"] for `a.b`, ["r", "get_x|m"] for a method of a returned object, else None."""
    name = dotted(func)
    if name is not None:
        head, _, rest = name.partition(".")
        if rest and head in aliases and "." not in rest:
            return ["r", f"{aliases[head]}|{rest}"]
        return ["n", name]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        made = dotted(func.value.func)
        if made is not None:
            return ["r", f"{made}|{func.attr}"]
    return None


# -- read-modify-writes and lazy initialisation of `self.<attr>` ----------------------------


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _stored_attr(target: ast.AST) -> Optional[str]:
    """`a` for a store into `self.a` or `self.a[k]`."""
    if isinstance(target, ast.Subscript):
        target = target.value
    return _self_attr(target)


def _reads(expr: ast.AST, attr: str) -> bool:
    return any(_self_attr(n) == attr for n in ast.walk(expr))


def _lock_names(with_node: Union[ast.With, ast.AsyncWith]) -> list[str]:
    """The names a `with` may take as locks (`with self._lock:`, `with monitor.lock:`, `with _l:`):
    every dotted item, a candidate until `_Builder.resolve_locks` knows what each name is bound to."""
    return [name for name in (dotted(item.context_expr) for item in with_node.items) if name]


def _lock_ref(name: str, aliases: dict[str, str]) -> list:
    """["n", "self._lock"], or ["r", "get_monitor|lock"] for `m = get_monitor(); with m.lock:`."""
    head, _, rest = name.partition(".")
    if rest and head in aliases and "." not in rest:
        return ["r", f"{aliases[head]}|{rest}"]
    return ["n", name]


def _lazy_test(test: ast.expr) -> Optional[str]:
    """`a` for `self.a is None` and `not self.a`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _self_attr(test.operand)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return _self_attr(test.left)
    return None
