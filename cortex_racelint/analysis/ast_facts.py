"""Facts about a module gathered in one `ast` walk: what the prefilter asks each rule about.

CPython's `ast` parses ~10x faster than LibCST, so the shape facts here (`lazy_global`,
`shared_write`, `thread_entry`, ...) let a rule's `ast_candidate(facts)` drop files it can never
report on before LibCST sees them. Each fact follows the reasoning of the analysis the rule uses
later, and must stay a superset of it (`tests/test_prefilter.py`).
"""

from __future__ import annotations

import ast
import functools
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from .file_writes import PATH_METHODS
from .lazyinit import METACLASS_BASES
from .lazy_harm import MUTATORS  # what lazy_harm reads as a change, so narrowing keeps it
from .framework_entries import BUILTIN_ENTRIES, FRAMEWORK_BASE_NAMES, FRAMEWORK_CALL_NAMES, FRAMEWORK_CONTEXT_NAMES
from .threads import NOT_EXECUTORS

_LOCK_FACTORY_NAMES = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "allocate_lock"}
_ENTRY_CALLS = {"Timer", "submit", "map", "run_in_executor", "start_new_thread", "start_new", "to_thread"} | FRAMEWORK_CALL_NAMES
#: entry calls the entry table names by module (`atexit.register`, `signal.signal`): `framework_entries`
#: matches them through the module's imports, so a file importing none of these packages has no such
#: entry (`argparse`'s `self.register(...)`, tkinter's)
def _imported_entry_calls() -> dict[str, frozenset[str]]:
    roots: dict[str, frozenset[str]] = {}
    for spec in BUILTIN_ENTRIES:
        if spec.call and not spec.call.startswith("."):
            last = spec.call.rsplit(".", 1)[-1]
            roots[last] = roots.get(last, frozenset()) | {spec.call.split(".")[0]}
    return roots


_IMPORTED_ENTRY_CALLS = _imported_entry_calls()  # last name -> the packages whose import it needs
#: entry calls the entry table counts only on a receiver bound from another method's call (an executor
#: future's `add_done_callback`, bound from `.submit()`): asyncio's own futures hand nothing to a thread
_RECEIVER_FROM = {spec.call[1:]: spec.receiver_from for spec in BUILTIN_ENTRIES if spec.call.startswith(".") and spec.receiver_from}
#: entry calls that are executor methods: `analysis.threads` only counts them called on something
_EXECUTOR_METHODS = {"submit", "map", "run_in_executor"}
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class AstFacts:
    """What one walk of a module's `ast` found, for the rules' cheap checks.

    The `lazy_*`, `shared_write`, `thread_entry` facts follow the shape each rule looks
    for closely (same function, same state), so a module with a stray `global` or an
    `open(p, "w")` on a parameter is not parsed by LibCST; each is a superset of what
    its rules report (`tests/test_prefilter.py` and the fuzz suite check that).
    """

    cache_decorators: bool = False
    called_names: set[str] = field(default_factory=set)  # last component of every called name
    # -- shapes ---------------------------------------------------------------
    lazy_global: bool = False  # one function: `global g`, an `if` testing g, an assignment to g
    lazy_class: bool = False  # one method: an `if` testing `cls.x`/`Class.x`, an assignment to `cls.<attr>`
    lazy_keyed: bool = False  # one function: `k in d` / `d.get(k)` and `d[k] = ...` on a shared dict
    lazy_under_lock: bool = False  # an `if` testing shared state whose body takes a lock
    local_lock: bool = False  # a lock made in a function and held there (`with Lock():`, `l = Lock()`)
    shared_write: bool = False  # a write-mode open / `write_text` of a path derived from shared state
    #: such a write inside a `with` body, a function calling `acquire()`, or a private helper
    #: that may be called with a lock held (it inherits its callers' locks)
    locked_shared_write: bool = False
    thread_entry: bool = False  # a `Thread` subclass, or a method handing `self.m` to a thread/executor
    imports_sqlite: bool = False  # `sqlite3` imported, or `sqlite3.<name>(...)` called
    # -- where: for rules that look no further than one top-level statement ------------
    #: (first line, last line, stub) of each module-body statement; the stub (`def f(): pass`)
    #: stands in for a def or class no rule needs (None for other statements)
    top_level: list[tuple[int, int, Optional[str]]] = field(default_factory=list)
    #: fact name -> indices of the module-body statements where it holds (for `shared_write`
    #: also the statements calling a writing function, transitively, and the helpers it calls;
    #: `shared_read` is the same for the functions that may read a shared path, once some
    #: shared write is locked)
    statements: dict[str, set[int]] = field(default_factory=dict)
    #: module-body statements that create locks (`self._lock = Lock()`): the lock analysis reads them
    lock_holders: set[int] = field(default_factory=set)

    def where(self, fact: str) -> set[int]:
        return self.statements.get(fact, set())


def _last_name(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _dotted(node: ast.expr) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _bound_at_module(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names assigned at module level, names imported there), blocks included, defs excluded."""
    assigned: set[str] = set()
    imported: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (*_FUNCTION, ast.ClassDef)):
            assigned.add(node.name)
        elif isinstance(node, ast.Lambda) or not isinstance(node, ast.AST):
            continue
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assigned.add(node.id)
        else:
            kind = type(node)
            for name in _FIELDS.get(kind) or _FIELDS.setdefault(kind, _child_fields(kind)):
                value = getattr(node, name, None)
                if type(value) is list:
                    stack.extend(value)
                elif value is not None:
                    stack.append(value)
    return assigned, imported


_CONSTRUCTORS = ("__init__", "__new__", "__post_init__")


@dataclass
class _NameReach:
    """Per function (keyed by its node's id): the names it calls, whether it holds a `with`."""

    calls: dict[int, set[str]] = field(default_factory=dict)
    defines: dict[str, set[int]] = field(default_factory=dict)  # name -> functions defining it
    tops: dict[int, int] = field(default_factory=dict)  # function -> its module-body statement
    holders: set[int] = field(default_factory=set)
    sites: set[int] = field(default_factory=set)  # functions holding a lazy-init site
    receivers: dict[int, str] = field(default_factory=dict)  # function -> its first parameter
    classes: set[str] = field(default_factory=set)  # module-level class names

    def define(self, name: str, key: int, top: int) -> None:
        self.defines.setdefault(name, set()).add(key)
        self.tops[key] = top

    def site_names(self) -> set[str]:
        """Names of the functions holding a lazy-init site."""
        return {name for name, keys in self.defines.items() if keys & self.sites}

    def lock_scope(self) -> set[int]:
        """The module-body statements a lazy-init fix's lock choice may read (`fixes.locks.reentrancy`).

        The functions holding the sites, every function holding a `with <name>:` (a caller may
        hold the lock), and, closed over, every function defining a name they call (a function,
        a method of that name, a class's constructors; `cls()` and `type(self)()` call every
        constructor, a subclass's too). Matching by name is a superset of what the LibCST call
        graph resolves, so narrowing never hides a holder or a callee.
        """
        return self.closure(set(self.sites) | self.holders)

    def closure(self, start: set[int]) -> set[int]:
        """The module-body statements of `start` (function node ids) and of what they call, closed over."""
        needed = set(start)
        pending = list(needed)
        while pending:
            key = pending.pop()
            for called in self.calls.get(key, ()):
                receiver, _, name = called.rpartition(".")
                if receiver and receiver not in ("self", "cls", "super()", self.receivers.get(key)) and receiver not in self.classes:
                    continue  # `obj.m()` on anything else: the call graph does not follow it either
                for target in self.defines.get(name, ()):
                    if target not in needed:
                        needed.add(target)
                        pending.append(target)
        return {self.tops[key] if key >= 0 else -1 - key for key in needed if key < 0 or key in self.tops}


def _resolvable_callee(func: ast.expr) -> Optional[str]:
    """The call, spelt for the calls `analysis.call_graph` can resolve: `f`, `C`, `r.m` on a plain
    name (kept only for `self`, `cls`, the first parameter or a class), `super().m`; `cls()` and
    `type(self)()` as `__init__` (every constructor)."""
    if isinstance(func, ast.Name):
        return "__init__" if func.id == "cls" else func.id
    if isinstance(func, ast.Attribute):
        value = func.value
        if isinstance(value, ast.Name):
            return f"{value.id}.{func.attr}"
        if isinstance(value, ast.Call) and _last_name(value.func) in ("super", "type"):
            return f"super().{func.attr}"
    if isinstance(func, ast.Call) and _last_name(func.func) == "type":
        return "__init__"
    return None


class _Function:
    """One function's bindings and shapes, judged when the whole module has been seen."""

    def __init__(self, node: ast.AST, parent: Optional["_Function"], class_name: Optional[str], top: int) -> None:
        self.parent = parent
        self.node = node
        self.name: str = node.name  # type: ignore[attr-defined]
        self.top = top  # index of the module-body statement it is in
        self.class_name = class_name  # set for methods (defined directly in a class body)
        args = node.args  # type: ignore[attr-defined]
        positional = [*args.posonlyargs, *args.args]
        self.params = {a.arg for a in (*positional, *args.kwonlyargs)} | {
            a.arg for a in (args.vararg, args.kwarg) if a is not None
        }
        decorators = {_last_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}  # type: ignore[attr-defined]
        self.receiver: Optional[str] = None
        self.class_receivers: set[str] = set()
        if class_name is not None:
            self.class_receivers.add(class_name)
            if positional and "staticmethod" not in decorators:
                self.receiver = positional[0].arg
                if "classmethod" in decorators or node.name == "__new__":  # type: ignore[attr-defined]
                    self.class_receivers.add(positional[0].arg)
        self.cached = bool(decorators & {"lru_cache", "cache"})
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()  # closure state: shared by every call of the closure
        self.stored: set[str] = set()
        self.plain: dict[str, list[ast.expr]] = {}  # `name = value` assignments
        self.defs: set[str] = set()  # functions defined inside
        self.tested_names: set[str] = set()
        self.tested_heads: set[str] = set()  # `H` of `H.attr` / `hasattr(H, ...)` in an `if` test
        self.stored_heads: set[str] = set()  # `H` of `H.attr = ...` / `setattr(H, ...)`
        self.probed: set[str] = set()  # `d` of `k in d` / `d.get(k)`
        self.filled: set[str] = set()  # `d` of `d[k] = ...` / `d.setdefault(...)`
        self.guard_ifs: list[ast.If] = []  # `if`s testing something shared
        self.checks: list[tuple[str, bool, ast.If]] = []  # (state, tests for absence, the `if`)
        self.acquires = False
        self.bare_calls: set[str] = set()  # `name(...)` calls in its own body (how module functions are called)
        self.called: set[str] = set()  # last name of every call in its own body

    @property
    def inherits_locks(self) -> bool:
        """A private helper outside other functions takes on the locks all its callers hold."""
        return self.parent is None and self.name.startswith("_") and not self.name.endswith("__")

    def chain(self) -> Iterator["_Function"]:
        scope: Optional[_Function] = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def receivers(self) -> set[str]:
        return {f.receiver for f in self.chain() if f.receiver is not None}


def _flat_targets(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _flat_targets(element)
    elif isinstance(target, ast.Starred):
        yield from _flat_targets(target.value)
    else:
        yield target


#: fields holding no node a fact depends on (`ctx`, operators) or no node at all
_SKIPPED_FIELDS = {"ctx", "op", "ops", "type_comment", "id", "attr", "arg", "kind", "level", "module",
                   "is_async", "conversion", "simple", "lineno", "col_offset", "end_lineno", "end_col_offset"}
_LEAVES = (ast.Name, ast.Constant, ast.alias, ast.arg)


@functools.cache  # per node type; thread-safe (see `analysis.traverse.child_fields`)
def _child_fields(node_type: type) -> tuple[str, ...]:
    return tuple(f for f in node_type._fields if f not in _SKIPPED_FIELDS)


#: node type -> `_child_fields`, read without a call (the walks below ask once per node)
_FIELDS: dict[type, tuple[str, ...]] = {}
#: what `generic_visit` never dispatches: the leaves (their visit is `_skip`), `None`, strings
_NOT_VISITED = frozenset({type(None), str, *_LEAVES})


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under `root`, itself included, minus contexts and operators: what `ast.walk`
    yields for the checks here (each asks whether some node matches, so order does not matter),
    at about half its cost (no `iter_fields`/`iter_child_nodes` generators per node)."""
    stack: list = [root]
    fields = _FIELDS
    while stack:
        node = stack.pop()
        if not isinstance(node, ast.AST):
            continue  # `None` in `Dict.keys`, names in `Global.names`
        yield node
        kind = type(node)
        for name in fields.get(kind) or fields.setdefault(kind, _child_fields(kind)):
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)


def _skip(collector: object, node: ast.AST) -> None:
    """The visit of a node below which no fact can be (a name, a constant, a string)."""


class _FactCollector(ast.NodeVisitor):
    """One recursive walk; `ast.NodeVisitor`'s dispatch, minus its per-node overheads."""

    def __init__(self, tree: ast.Module) -> None:
        self.facts = AstFacts()
        self.module_names, self.imported = _bound_at_module(tree)
        self.class_names: set[str] = set()
        self.metaclasses: set[str] = set()  # classes deriving from `type`: their methods' receiver is a class
        self.module_functions: set[str] = set()  # module-level defs: `get._inst` is module state
        self.functions: list[_Function] = []
        self.function: Optional[_Function] = None
        self.containers: list[object] = []  # enclosing ClassDef names (str) and _Function objects
        self.aliases: dict[str, str] = {}  # `from m import name as alias`: alias -> name
        self.imported_roots: set[str] = set()  # every package an import anywhere in the module names
        self.with_depth = 0
        self.writes: list[tuple[ast.expr, _Function, bool]] = []  # (path, function, inside a `with` body)
        self.reads: list[tuple[list[ast.expr], _Function]] = []  # (paths it may read, function)
        self.top = -1  # index of the module-body statement being visited
        self.reach = _NameReach()
        self.entries: list[tuple[ast.Call, _Function]] = []
        self.outside_calls: list[tuple[str, int]] = []  # (`name(...)`, statement) outside any function
        self.called_in_with: set[str] = set()  # last names of calls inside a `with` body (a lock, maybe)
        self.top_defs: dict[str, set[int]] = {}  # name of a module-level def -> its statement
        self.top_classes: dict[str, tuple[int, list[str]]] = {}  # module-level class -> (statement, base names)
        self.top_is_function = False  # the current module-body statement is a def

    #: node type -> unbound visit method; on the class, so no instance holds bound methods of
    #: itself (a cycle that kept every module's `ast` tree alive until the cyclic collector ran)
    _dispatch: dict[type, Callable[["_FactCollector", ast.AST], None]] = {}
    _dispatch_lock = threading.Lock()

    @classmethod
    def _method(cls, node_type: type) -> Callable[["_FactCollector", ast.AST], None]:
        method = cls._dispatch.get(node_type)
        if method is None:
            with cls._dispatch_lock:
                method = cls._dispatch.get(node_type)
                if method is None:
                    if not issubclass(node_type, ast.AST) or issubclass(node_type, _LEAVES):
                        method = _skip  # `None`, strings in `Global.names`, and the leaves
                    else:
                        method = getattr(cls, "visit_" + node_type.__name__, _FactCollector.generic_visit)
                    cls._dispatch[node_type] = method
        return method

    def visit(self, node: ast.AST) -> None:
        (self._dispatch.get(type(node)) or self._method(type(node)))(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        dispatch = self._dispatch
        skipped = _NOT_VISITED  # half the nodes are leaves: no call for them
        kind = type(node)
        for name in _FIELDS.get(kind) or _FIELDS.setdefault(kind, _child_fields(kind)):
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    kind = type(item)
                    if kind not in skipped:
                        (dispatch.get(kind) or self._method(kind))(self, item)
            else:
                kind = type(value)
                if kind not in skipped:
                    (dispatch.get(kind) or self._method(kind))(self, value)

    def _reach_key(self) -> int:
        """The function a call or `with` is in (its node's id), else its module-body statement (< 0)."""
        return id(self.function.node) if self.function is not None else -1 - self.top

    def _mark(self, fact: str, top: int) -> None:
        self.facts.statements.setdefault(fact, set()).add(top)

    # -- scopes -------------------------------------------------------------------
    def visit_Module(self, node: ast.Module) -> None:
        for index, stmt in enumerate(node.body):
            self.top = index
            self.facts.top_level.append(_span(stmt))
            if isinstance(stmt, _FUNCTION):
                self.top_defs.setdefault(stmt.name, set()).add(index)
            self.top_is_function = isinstance(stmt, _FUNCTION)
            self.visit(stmt)

    def visit_Import(self, node: ast.Import) -> None:
        self.imported_roots.update(a.name.split(".")[0] for a in node.names)
        if any(a.name.split(".")[0] == "sqlite3" for a in node.names):
            self.facts.imports_sqlite = True

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imported_roots.add((node.module or "").split(".")[0])
        self.imported_roots.update(a.name for a in node.names)  # `from . import signal`: a superset
        if (node.module or "").split(".")[0] == "sqlite3" or any(a.name == "sqlite3" for a in node.names):
            self.facts.imports_sqlite = True
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any((_last_name(base) or "").endswith("Thread") or _last_name(base) in FRAMEWORK_BASE_NAMES for base in node.bases):
            self._mark("thread_entry", self.top)
        if any(_last_name(base) in FRAMEWORK_CONTEXT_NAMES for base in node.bases):
            self._mark("framework_context", self.top)  # `class Server(ThreadingMixIn, TCPServer)`
        self.class_names.add(node.name)
        if any(_dotted(base) in METACLASS_BASES or _dotted(base) in self.metaclasses for base in node.bases):
            self.metaclasses.add(node.name)  # `class SingletonMeta(Meta)` after `class Meta(type)` too
        if self.function is None:
            self.reach.classes.add(node.name)
            if not self.containers:
                self.top_classes[node.name] = (self.top, [n for base in node.bases if (n := _last_name(base))])
        self.containers.append(node.name)
        self.generic_visit(node)
        self.containers.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        direct_class = self.containers[-1] if self.containers and isinstance(self.containers[-1], str) else None
        self.reach.define(node.name, id(node), self.top)
        positional = [*node.args.posonlyargs, *node.args.args]
        if positional:
            self.reach.receivers[id(node)] = positional[0].arg
        if direct_class is not None and node.name in _CONSTRUCTORS:
            self.reach.define(direct_class, id(node), self.top)  # `Klass()` runs its constructors
        function = _Function(node, self.function, direct_class, self.top)
        if direct_class in self.metaclasses and function.receiver is not None:
            function.class_receivers.add(function.receiver)  # a metaclass's methods receive a class
        if self.function is None and not self.containers:
            self.module_functions.add(node.name)
        if self.function is not None:
            self.function.defs.add(node.name)
            self.function.stored.add(node.name)
        if function.cached:
            self.facts.cache_decorators = True
            self._mark("cache_decorators", self.top)
        self.functions.append(function)
        outer, outer_depth = self.function, self.with_depth
        self.function, self.with_depth = function, 0
        self.containers.append(function)
        self.generic_visit(node)
        self.containers.pop()
        self.function, self.with_depth = outer, outer_depth

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Global(self, node: ast.Global) -> None:
        if self.function is not None:
            self.function.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        if self.function is not None:
            self.function.nonlocals.update(node.names)

    # -- statements -----------------------------------------------------------------
    def visit_If(self, node: ast.If) -> None:
        function = self.function
        if function is not None:
            shared = False
            for sub in _nodes(node.test):
                if isinstance(sub, ast.Name):
                    function.tested_names.add(sub.id)
                    shared = shared or sub.id in self.module_names or sub.id in function.globals
                    shared = shared or any(self._copies_shared(v, function) for v in function.plain.get(sub.id, ()))
                elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                    function.tested_heads.add(sub.value.id)
                    if sub.value.id in function.class_receivers:
                        shared = True
                elif isinstance(sub, ast.Call) and _last_name(sub.func) in ("hasattr", "getattr") and sub.args:
                    first = sub.args[0]
                    if isinstance(first, ast.Name):
                        function.tested_heads.add(first.id)
                        if first.id in function.class_receivers:
                            shared = True
            if shared:
                function.guard_ifs.append(node)
            check = _lazy_check(node.test)
            if check is not None:
                function.checks.append((check[0], check[1], node))
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        """An EAFP cache, `try: return _c[k]` / `except KeyError:`: the failed read probes `_c`."""
        function = self.function
        if function is not None and len(node.body) == 1 and any(_catches_missing(h) for h in node.handlers):
            read = getattr(node.body[0], "value", None)
            receiver = _dotted(read.value) if isinstance(read, ast.Subscript) else None
            if receiver:
                function.probed.add(receiver)
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        """`match _x:` / `case None:` is `if _x is None:` spelt as a pattern."""
        function = self.function
        state = _dotted(node.subject)
        if function is not None and state and node.cases:
            first = node.cases[0]
            if first.guard is None and isinstance(first.pattern, ast.MatchSingleton) and first.pattern.value is None:
                function.checks.append((state, True, first))  # type: ignore[arg-type]
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        if any(not isinstance(item.context_expr, ast.Call) for item in node.items):
            self.reach.holders.add(self._reach_key())  # `with lock:` (a call is never a held lock to `reentrancy`)
        if self.top_is_function and any(
            isinstance(item.context_expr, ast.Attribute) and isinstance(item.context_expr.value, ast.Name)
            for item in node.items
        ):
            self._mark("object_lock_holder", self.top)  # `with cache._lock:` in a module function (CRL4 fixes)
        for item in node.items:
            self.visit(item)
            if self.function is not None and isinstance(item.context_expr, ast.Call):
                if _last_name(item.context_expr.func) in _LOCK_FACTORY_NAMES:
                    self.facts.local_lock = True
                    self._mark("local_lock", self.top)
        self.with_depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self.with_depth -= 1

    visit_AsyncWith = visit_With  # type: ignore[assignment]

    def _store(self, target: ast.expr, value: Optional[ast.expr], plain: bool) -> None:
        function = self.function
        if function is None:
            return
        for part in _flat_targets(target):
            if isinstance(part, ast.Name):
                function.stored.add(part.id)
                if plain and value is not None and part is target:
                    function.plain.setdefault(part.id, []).append(value)
            elif isinstance(part, ast.Attribute):
                head = part.value
                while isinstance(head, ast.Attribute):
                    head = head.value
                if isinstance(head, ast.Name):
                    function.stored_heads.add(head.id)
            elif isinstance(part, ast.Subscript):
                container = _dotted(part.value)
                if container:
                    function.filled.add(container)
        if plain and isinstance(value, ast.Call) and _last_name(value.func) in _LOCK_FACTORY_NAMES:
            if isinstance(target, ast.Name):
                self.facts.local_lock = True
                self._mark("local_lock", self.top)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and _last_name(node.value.func) in _LOCK_FACTORY_NAMES:
            self.facts.lock_holders.add(self.top)
        if self.function is None and any(isinstance(t, ast.Name) and t.id == "synchronized" for t in node.targets):
            self.facts.lock_holders.add(self.top)  # the class's list of methods `synchronize(C)` wraps
        for target in node.targets:
            self._store(target, node.value, plain=True)
        function = self.function
        if function is not None and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if (name in function.globals or name in function.nonlocals) and _defaults_to_itself(node.value, name):
                self.facts.lazy_global = True  # `_x = _x or X()`: CRL101's one-line lazy init
                self._mark("lazy_global", function.top)
                self.reach.sites.add(id(function.node))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.value, ast.Call) and _last_name(node.value.func) in _LOCK_FACTORY_NAMES:
            self.facts.lock_holders.add(self.top)
        self._store(node.target, node.value, plain=node.value is not None)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._store(node.target, None, plain=False)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._store(node.target, None, plain=False)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._store(node.target, None, plain=False)
        self.generic_visit(node)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_Compare(self, node: ast.Compare) -> None:
        function = self.function
        if function is not None:
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    container = _dotted(right)
                    if container:
                        function.probed.add(container)
        self.generic_visit(node)

    # -- calls ----------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        callee = _resolvable_callee(node.func)
        if callee:
            called = self.reach.calls.setdefault(self._reach_key(), set())
            called.update(_CONSTRUCTORS if callee == "__init__" else (callee,))
        name = _last_name(node.func)
        function = self.function
        if name == "synchronize" and function is None:
            self.facts.lock_holders.add(self.top)  # Twisted's `threadable.synchronize(C)` (`analysis.lock_wrappers`)
        if name in FRAMEWORK_CONTEXT_NAMES:  # `ThreadingTCPServer(...)`, `FUSE(ops, nothreads=True)`
            self._mark("framework_context", self.top)
        if name is not None:
            called = self.facts.called_names
            called.add(name)
            if name in self.aliases:  # `c(path)` after `from sqlite3 import connect as c`
                called.add(self.aliases[name])
                name = self.aliases[name]
            if self.with_depth:
                self.called_in_with.add(name)
            if function is not None:
                function.called.add(name)
                if isinstance(node.func, ast.Name):
                    function.bare_calls.add(node.func.id)
                self._call_in_function(node, name, function)
            elif isinstance(node.func, ast.Name):
                self.outside_calls.append((node.func.id, self.top))
        self.generic_visit(node)

    def _call_in_function(self, node: ast.Call, name: str, function: _Function) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = _dotted(func.value)
            if receiver is not None and receiver.split(".")[0] == "sqlite3":
                self.facts.imports_sqlite = True  # `sqlite3.connect` even without the import
            if name == "acquire":
                function.acquires = True
            elif name == "get" and receiver:
                function.probed.add(receiver)
            elif name in ("setdefault", "update") and receiver:
                function.filled.add(receiver)
        elif name == "setattr" and node.args and isinstance(node.args[0], ast.Name):
            function.stored_heads.add(node.args[0].id)
        path = _written_path(node, name, self.imported)
        if path is not None:
            self.writes.append((path, function, self.with_depth > 0))
        elif name in _READ_CALLS:
            self.reads.append((_read_paths(node), function))
        if name in _EXECUTOR_METHODS:  # `executor.submit(...)`: the builtin `map(f, self.xs)` is no thread
            receiver = _dotted(func.value) if isinstance(func, ast.Attribute) else None
            if not isinstance(func, ast.Attribute) or (name == "map" and (receiver or "").rsplit(".", 1)[-1] in NOT_EXECUTORS):
                return
        if name in _ENTRY_CALLS or (name.endswith("Thread") and name[:1].isupper()):
            self.entries.append((node, function))

    def _copies_shared(self, value: ast.expr, function: _Function) -> bool:
        """`<shared dict>.get(k)`: a local holding it stands for the shared entry (`v = _c.get(k)`);
        so does a copy of a class's or a module function's attribute (`v = getattr(get, "x", None)`)."""
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get":
            receiver = _dotted(value.func.value)
            return receiver is not None and self._shared_container(receiver, function)
        if isinstance(value, ast.Call) and _last_name(value.func) == "getattr" and value.args:  # `getattr(R, "x", None)`
            head = value.args[0]
            return isinstance(head, ast.Name) and (head.id in function.class_receivers or head.id in self.module_names)
        return False

    def _shared_container(self, dotted: str, function: _Function) -> bool:
        head, _, rest = dotted.partition(".")
        if not rest:
            return head in function.globals or (head in self.module_names and head not in function.stored)
        return head in function.class_receivers and "." not in rest

    # -- judging, once everything is known ------------------------------------------
    def finish(self) -> AstFacts:
        facts = self.facts
        for function in self.functions:
            for state, missing, node in function.checks:
                state = _attribute_copy(function, state) or state  # `v = getattr(R, "x", None)`, `if v is None:`
                head, _, attribute = state.partition(".")
                if not attribute and (head in function.globals or head in function.nonlocals):
                    if _creates(node, state, missing, function):
                        facts.lazy_global = True
                        self._mark("lazy_global", function.top)
                        self.reach.sites.add(id(function.node))
                elif attribute and "." not in attribute and head in self.module_functions and head not in function.stored:
                    if _creates(node, state, missing, function):  # `get._inst`: a function attribute, CRL101
                        facts.lazy_global = True
                        self._mark("lazy_global", function.top)
                        self.reach.sites.add(id(function.node))
                elif attribute and "." not in attribute and head in function.class_receivers:
                    if _creates(node, state, missing, function):
                        facts.lazy_class = True
                        self._mark("lazy_class", function.top)
                        self.reach.sites.add(id(function.node))
            if any(self._shared_container(d, function) for d in function.probed & function.filled):
                facts.lazy_keyed = True
                self._mark("lazy_keyed", function.top)
                self.reach.sites.add(id(function.node))
                if function.class_name in self.metaclasses:  # `cls._instances[cls] = ...`: CRL102's
                    facts.lazy_class = True
                    self._mark("lazy_class", function.top)
            if any(_takes_lock(stmt) for node in function.guard_ifs for stmt in node.body):
                facts.lazy_under_lock = True
                self._mark("lazy_under_lock", function.top)
        writers: list[_Function] = []
        locked_names: Optional[set[str]] = None
        for path, function, in_with in self.writes:
            if self._path_is_shared(path, function, set()):
                facts.shared_write = True
                writers.append(function)
                if in_with or any(f.acquires for f in function.chain()):
                    facts.locked_shared_write = True
                elif function.inherits_locks:
                    locked_names = self._maybe_called_locked() if locked_names is None else locked_names
                    facts.locked_shared_write = facts.locked_shared_write or function.name in locked_names
        if writers:
            self._mark_scope("shared_write", writers)
        if facts.locked_shared_write:  # CRL302's readers: only a locked write makes it a candidate
            readers = [f for paths, f in self.reads if any(self._path_is_shared(p, f, set()) for p in paths)]
            if readers:
                self._mark_scope("shared_read", readers)
        for call, function in self.entries:
            roots = _IMPORTED_ENTRY_CALLS.get(_last_name(call.func) or "")
            if roots is not None and roots.isdisjoint(self.imported_roots):
                continue  # `self.register(cb)` in a module importing no `atexit`: no entry of the table
            method = _RECEIVER_FROM.get(_last_name(call.func) or "")
            if method is not None and not self._bound_from(call, method, function):
                continue  # `task.add_done_callback(cb)` on an asyncio task: no entry of the table
            if self._hands_over_self(call, function):
                self._mark("thread_entry", function.top)
        facts.thread_entry = bool(facts.where("thread_entry"))
        self._mark_thread_family()
        return facts

    def _mark_thread_family(self) -> None:
        """`thread_family`: the module-level classes related by inheritance to a thread-entry class
        (bases, mixins, subclasses, transitively): the lock analysis of the CRL4 fixes reads them."""
        entries = self.facts.where("thread_entry")
        family = {name for name, (top, _) in self.top_classes.items() if top in entries}
        changed = True
        while changed:
            changed = False
            for name, (_, bases) in self.top_classes.items():
                related = name in family or any(base in family for base in bases)
                grown = {name, *(b for b in bases if b in self.top_classes)} if related else set()
                if grown - family:
                    family |= grown
                    changed = True
        for name in family:
            self._mark("thread_family", self.top_classes[name][0])

    def _maybe_called_locked(self) -> set[str]:
        """Names of functions that may be called with a lock held: inside a `with`, in a
        function calling `acquire()`, or (transitively) by a lock-inheriting helper so called."""
        names = set(self.called_in_with)
        for function in self.functions:
            if any(f.acquires for f in function.chain()):
                names |= function.called
        expanded: set[int] = set()
        grown = True
        while grown:
            grown = False
            for function in self.functions:
                if id(function) not in expanded and function.inherits_locks and function.name in names:
                    expanded.add(id(function))
                    names |= function.called
                    grown = True
        return names

    def _mark_scope(self, fact: str, functions: list[_Function]) -> None:
        """`fact` statements: the functions', their callers' (transitively) and their helpers'.

        CRL301 (`shared_write`: the writers) and CRL302 (`shared_read`: the readers) ask who
        calls such a function (locks every caller holds are inherited; a caller holding the
        lock makes a fix deadlock) and what it calls (a helper that reads the file first, or
        takes the lock itself); CRL304 asks what a caller calls before it (`entries = _load()`). A method is called as `self.m()` from its own class, the
        same statement; a function outside classes as `name()`, from anywhere: those calls
        are followed, transitively.
        """
        names: set[str] = set()
        for function in functions:
            self._mark(fact, function.top)
            for callee in function.bare_calls:
                for top in self.top_defs.get(callee, ()):
                    self._mark(fact, top)
            names.update(f.name for f in function.chain() if f.class_name is None)
        callers = set(map(id, functions))
        grown = bool(names)
        while grown:
            grown = False
            for function in self.functions:
                if id(function) not in callers and function.bare_calls & names:
                    callers.add(id(function))
                    self._mark(fact, function.top)
                    for callee in function.bare_calls:  # a caller's helpers: the loader of its load-modify-save (CRL304)
                        for top in self.top_defs.get(callee, ()):
                            self._mark(fact, top)
                    names.update(f.name for f in function.chain() if f.class_name is None)
                    grown = True
        for name, top in self.outside_calls:
            if name in names:
                self._mark(fact, top)

    def _bound_from(self, call: ast.Call, method: str, function: _Function) -> bool:
        """Could the receiver of `call` come from a `.<method>()` call? A superset of
        `framework_entries._bound_from`: the call itself, or a name assigned from one anywhere in
        the enclosing functions."""
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(receiver, ast.Call):
            return isinstance(receiver.func, ast.Attribute) and receiver.func.attr == method
        if not isinstance(receiver, ast.Name):
            return False
        for scope in function.chain():
            for node in _nodes(scope.node):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and isinstance(node.value, ast.Call):
                    func = node.value.func
                    if isinstance(func, ast.Attribute) and func.attr == method:
                        return True
        return False

    def _hands_over_self(self, call: ast.Call, function: _Function) -> bool:
        receivers = function.receivers()
        if not receivers:
            return False
        defs = set().union(*(f.defs for f in function.chain()))
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for sub in _nodes(arg):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in receivers:
                    return True
                if isinstance(sub, ast.Name) and sub.id in defs:
                    return True
        return False

    def _path_is_shared(self, expr: ast.expr, function: _Function, resolving: set[tuple[int, str]]) -> bool:
        """Could this path derive from `self.x`, `cls.x`, `Class.x` or a module global?"""
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Div, ast.Add)):
            return self._path_is_shared(expr.left, function, resolving)  # the folder decides
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in PATH_METHODS:
            return self._path_is_shared(expr.func.value, function, resolving)
        receivers = function.receivers()
        for sub in _nodes(expr):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                if sub.value.id in receivers or sub.value.id in self.class_names:
                    return True
            elif isinstance(sub, ast.Name) and self._name_is_shared(sub.id, function, resolving):
                return True
        return False

    def _name_is_shared(self, name: str, function: _Function, resolving: set[tuple[int, str]]) -> bool:
        for scope in function.chain():
            if name in scope.globals:
                break
            if name in scope.params:
                return False
            if name in scope.stored:
                key = (id(scope), name)
                if key in resolving:
                    return False
                resolving.add(key)
                return any(self._path_is_shared(value, scope, resolving) for value in scope.plain.get(name, ()))
        return name in self.module_names and name not in self.imported


def _span(stmt: ast.stmt) -> tuple[int, int, Optional[str]]:
    """(first line incl. decorators, last line, stub) of a module-body statement."""
    first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
    last = stmt.end_lineno or stmt.lineno
    stub = None
    if isinstance(stmt, (*_FUNCTION, ast.ClassDef)) and stmt.name.isascii():
        stub = f"class {stmt.name}: pass" if isinstance(stmt, ast.ClassDef) else f"def {stmt.name}(): pass"
    return first, last, stub


def _lazy_check(test: ast.expr) -> Optional[tuple[str, bool]]:
    """(state, tests for absence) of a non-keyed lazy-init test, as `analysis.lazyinit` reads it."""
    if isinstance(test, ast.NamedExpr):  # `(p := _x) is None`: the walrus tests `_x`
        return _lazy_check(test.value)
    if isinstance(test, ast.BoolOp):  # `_x is None or _x.closed`: an absence test among the operands
        operands = test.values if isinstance(test.op, ast.Or) else test.values[:1]
        for operand in operands:
            inner = _lazy_check(operand) if not isinstance(operand, ast.BoolOp) else None
            if inner is not None and inner[1]:
                return inner
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _lazy_check(test.operand)
        return (inner[0], not inner[1]) if inner is not None else None
    if isinstance(test, (ast.Name, ast.Attribute)):
        state = _dotted(test)
        return (state, False) if state else None
    if isinstance(test, ast.Call) and _last_name(test.func) in ("hasattr", "getattr") and len(test.args) >= 2:
        receiver, attribute = _dotted(test.args[0]), test.args[1]
        if receiver and isinstance(attribute, ast.Constant) and isinstance(attribute.value, str):
            return f"{receiver}.{attribute.value}", False  # `getattr(R, "x", None) is None` flips below
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq, ast.IsNot, ast.NotEq)):
        left, right = test.left, test.comparators[0]
        none = [side for side in (left, right) if isinstance(side, ast.Constant) and side.value is None]
        if not none and isinstance(test.ops[0], (ast.Is, ast.IsNot)) and isinstance(right, ast.Name):
            none = [right]  # a sentinel: `_x is _MISSING`, as `analysis.lazyinit` reads it
        if not none:
            return None
        subject = right if none[0] is left else left
        inner = _lazy_check(subject)
        if inner is None or isinstance(subject, (ast.UnaryOp, ast.Compare)):
            return None
        return inner[0], isinstance(test.ops[0], (ast.Is, ast.Eq))
    return None


def _creates(node: "ast.If | ast.match_case", state: str, missing: bool, function: _Function) -> bool:
    """Could this check's state be created: in the `if` body (absence test), or in the function (early return)?"""
    head, _, attribute = state.partition(".")
    if not missing:
        return head in (function.stored_heads if attribute else function.stored)
    for stmt in node.body:
        for sub in _nodes(stmt):
            if attribute:
                if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store) and _dotted(sub) == state:
                    return True
                if isinstance(sub, ast.Call) and _last_name(sub.func) == "setattr":
                    return True
            elif isinstance(sub, ast.Name) and sub.id == head and isinstance(sub.ctx, ast.Store):
                return True
    return False


def _attribute_copy(function: _Function, name: str) -> Optional[str]:
    """`R.x` when the local `name` is a copy `getattr(R, "x", None)` (a superset: any such binding)."""
    if "." in name:
        return None
    for value in function.plain.get(name, ()):
        if isinstance(value, ast.Call) and _last_name(value.func) == "getattr" and len(value.args) == 3:
            probed = _lazy_check(value)
            if probed is not None:
                return probed[0]
    return None


def _defaults_to_itself(value: ast.expr, name: str) -> bool:
    """`name or made`, `name if <test> else made`, `made if <test> else name`."""
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        return isinstance(value.values[0], ast.Name) and value.values[0].id == name
    if isinstance(value, ast.IfExp):
        return any(isinstance(side, ast.Name) and side.id == name for side in (value.body, value.orelse))
    return False


def _catches_missing(handler: ast.ExceptHandler) -> bool:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return handler.type is not None and all(_last_name(t) in ("KeyError", "LookupError") for t in types if t is not None)


def _takes_lock(stmt: ast.AST) -> bool:
    for node in _nodes(stmt):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return True
        if isinstance(node, ast.Call) and _last_name(node.func) == "acquire":
            return True
    return False


def _mode_may_write(mode: Optional[ast.expr]) -> bool:
    if mode is None:
        return False  # default "r"
    if isinstance(mode, ast.Constant):
        return isinstance(mode.value, str) and bool(set(mode.value) & set("wax+"))
    return True  # computed at run time


def _argument(call: ast.Call, position: int, keyword: str) -> Optional[ast.expr]:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _written_path(call: ast.Call, name: str, imported: set[str]) -> Optional[ast.expr]:
    """The path a call may write to: `open(p, "w")`, `p.open("a")`, `p.write_text(...)`, `atomic_write(p)`,
    `shutil.copyfile(src, p)`, `os.open(p, flags)`.

    `atomic_write` (and `_text`/`_bytes`) is how a CRL301 fix writes: a locked one makes the
    file's unlocked reads CRL302 candidates in the fix loop's next round, as `file_writes` sees them.
    """
    func = call.func
    if name in ("atomic_write", "atomic_write_text", "atomic_write_bytes"):
        return _argument(call, 0, "path")
    if name in ("copyfile", "copy", "copy2"):  # `shutil.copyfile(src, dst)` writes dst (any spelling: a superset)
        return _argument(call, 1, "dst")
    if isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and _dotted(func) == "io.open"):
        if name != "open":
            return None
        return _argument(call, 0, "file") if _mode_may_write(_argument(call, 1, "mode")) else None
    if not isinstance(func, ast.Attribute):
        return None
    root = _dotted(func.value)
    if root is not None and root.split(".")[0] in imported:
        # not a path method; `import io as _io` makes `_io.open(p, "w")` the builtin open, so a
        # module's `open(path, mode)` counts like it (a superset: `gzip.open` too, never a miss)
        if func.attr != "open":
            return None
        return _argument(call, 0, "file") if _mode_may_write(_argument(call, 1, "mode")) else None
    if func.attr == "open":
        return func.value if _mode_may_write(_argument(call, 0, "mode")) else None
    if func.attr in ("write_text", "write_bytes"):
        return func.value
    return None




#: event-loop methods `analysis.lazy_harm` reads to tell a loop run on one thread from one shared
_LOOP_METHODS = frozenset({"run_until_complete", "run_forever", "call_soon_threadsafe", "run_coroutine_threadsafe", "wrap_future"})


@dataclass
class _Walked:
    """What one walk of every module-body statement found for the lazy rules' narrowing."""

    #: per statement: each name or attribute name it mentions -> the functions around the mention
    #: (empty: module or class level)
    mentions: list[dict[str, set[str]]]
    #: statements that run an event loop or hand one work from another thread (`analysis.lazy_harm`
    #: tells a loop run on one thread from a shared one), and top-level defs/classes that change a
    #: module name or a `cls.`/class attribute in place (`lazy_harm` tells a container callers change,
    #: a lost update, from one nobody changes, an equal value): narrowing must keep both
    loop_or_in_place: set[int]


#: values `_walk_statements` need not visit: no node, or a node holding no name (constants, imports' aliases)
_NO_MENTIONS = frozenset({type(None), str, int, bool, float, complex, bytes, type(...), ast.Constant, ast.alias})


def _walk_statements(tree: ast.Module) -> _Walked:
    """The mentions, event-loop uses and in-place changes of each statement, in one walk (three walks
    of the module were a third of the `ast` facts' time on a module with lazy sites)."""
    module_names = {
        target.id
        for stmt in tree.body
        if isinstance(stmt, (ast.Assign, ast.AnnAssign))
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        if isinstance(target, ast.Name)
    }
    classes = {stmt.name for stmt in tree.body if isinstance(stmt, ast.ClassDef)}

    def shared(node: ast.expr) -> bool:
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Name):
            return node.id in module_names
        return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
            node.value.id in ("cls", "self") or node.value.id in classes
        )

    mentions: list[dict[str, set[str]]] = []
    found: set[int] = set()
    for index, stmt in enumerate(tree.body):
        top_def = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        mentioned: dict[str, set[str]] = {}
        stack: list[tuple[ast.AST, frozenset[str]]] = [(stmt, frozenset())]
        pop, push, fields, skipped = stack.pop, stack.append, _FIELDS, _NO_MENTIONS
        while stack:
            node, around = pop()
            kind = type(node)
            if kind is ast.Name:
                mentioned.setdefault(node.id, set()).update(around)
                continue  # no child but its context
            if kind is ast.Attribute:
                mentioned.setdefault(node.attr, set()).update(around)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                around = around | {node.name}
            elif kind is ast.Call:
                if index not in found and type(node.func) is ast.Attribute:
                    attr = node.func.attr
                    if attr in _LOOP_METHODS or (top_def and attr in MUTATORS and shared(node.func.value)):
                        found.add(index)
            elif kind is ast.Subscript and top_def and index not in found:
                if isinstance(node.ctx, (ast.Store, ast.Del)) and shared(node.value):
                    found.add(index)
            for name in fields.get(kind) or fields.setdefault(kind, _child_fields(kind)):  # `ast.iter_child_nodes`, minus its overheads
                value = getattr(node, name, None)
                if type(value) is list:
                    for child in value:
                        if type(child) not in skipped:
                            push((child, around))
                elif type(value) not in skipped:
                    push((value, around))
        mentions.append(mentioned)
    return _Walked(mentions, found)


def _name_users(uses: list[dict[str, set[str]]], names: set[str]) -> set[int]:
    """Module-body statements that mention any of `names` (`f`, `x.f`), and, closed over, those that
    mention a function enclosing such a mention (a caller): whether every caller of a site's function
    holds a lock, itself or through its own callers (`analysis.caller_locks`), needs all of them. Only
    the callers' names are followed, not every function of a statement holding one (a class with one
    caller among its methods would otherwise pull in every user of every method name)."""
    if not names:
        return set()
    found: set[int] = set()
    known = set(names)
    pending = set(names)
    while pending:  # and the users of the callers: a caller's own callers decide too
        callers: set[str] = set()
        for index, mentioned in enumerate(uses):
            for name in pending.intersection(mentioned):
                found.add(index)
                callers |= mentioned[name]
        pending = callers - known
        known |= pending
    return found


def _global_writers(tree: ast.Module, names: set[str]) -> set[int]:
    """Module-body statements declaring `global x` for a global the site functions `names` declare:
    another writer of the global decides whether an import-time first call settles it
    (`analysis.import_time`)."""
    declared = {
        name
        for stmt in tree.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in names
        for node in _nodes(stmt)
        if isinstance(node, ast.Global)
        for name in node.names
    }
    if not declared:
        return set()
    return {
        index
        for index, stmt in enumerate(tree.body)
        if any(isinstance(node, ast.Global) and declared.intersection(node.names) for node in _nodes(stmt))
    }


#: calls that may read a file: `open(p)`, `io.open(p)`, `<path>.open()`, `read_text`, `read_bytes`
_READ_CALLS = frozenset({"open", "read_text", "read_bytes"})


def _read_paths(call: ast.Call) -> list[ast.expr]:
    """What a possible read's path may be: the receiver of `<path>.open()`/`read_text()`, the
    first argument of `open(p)`/`<module>.open(p)`; both when unsure (a superset of what
    `file_writes` classifies as a read, whatever the mode)."""
    paths = []
    if isinstance(call.func, ast.Attribute):
        paths.append(call.func.value)
    first = _argument(call, 0, "file")
    if first is not None:
        paths.append(first)
    return paths


def _cache_factory_scope(tree: ast.Module, collector: "_FactCollector") -> set[int]:
    """What `analysis.lazy_harm.factory_consequence` reads for CRL106/CRL107: the cached module
    functions, what they call (a helper's return annotation, a NamedTuple class), closed over, and
    the statements mentioning them (a caller changing the cached container: `factory()[k] = v`)."""
    cached = [f for f in collector.functions if f.cached and 0 <= f.top < len(tree.body) and tree.body[f.top] is f.node]
    names = {f.name for f in cached}
    users = {
        index for index, stmt in enumerate(tree.body)
        if any((isinstance(n, ast.Name) and n.id in names) or (isinstance(n, ast.Attribute) and n.attr in names) for n in _nodes(stmt))
    }
    return {f.top for f in collector.functions if f.cached} | collector.reach.closure({id(f.node) for f in cached}) | users


def _class_families(collector: "_FactCollector", scope: set[int]) -> set[int]:
    """The module classes defined in `scope` or named by a call in it, with their module bases
    and subclasses, transitively: whether two instances are interchangeable (a NamedTuple, a class
    keeping no per-instance state: `analysis.lazy_harm`) depends on all of them, so none is stubbed."""
    classes = collector.top_classes
    reach = collector.reach
    called = {c.rpartition(".")[2] for key, calls in reach.calls.items()
              if (reach.tops.get(key) if key >= 0 else -1 - key) in scope for c in calls}
    family = {name for name, (top, _) in classes.items() if top in scope or name in called}
    pending = list(family)
    while pending:
        name = pending.pop()
        related = set(classes[name][1]) | {other for other, (_, bases) in classes.items() if name in bases}
        for other in related:
            if other in classes and other not in family:
                family.add(other)
                pending.append(other)
    return {classes[name][0] for name in family}


def ast_facts(raw: bytes, tree: Optional[ast.Module] = None) -> Optional[AstFacts]:
    """Facts of a module, or None when `ast` cannot parse it (LibCST will say why).

    `tree`: the module already parsed from `raw` (the project summary parsed it), not parsed again.
    """
    if tree is None:
        try:
            tree = ast.parse(raw)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    try:
        collector = _FactCollector(tree)
        collector.visit(tree)
        facts = collector.finish()
        lazy = facts.where("lazy_global") | facts.where("lazy_class") | facts.where("lazy_keyed")
        if lazy:
            walked = _walk_statements(tree)
            facts.statements["lazy_lock_scope"] = (
                lazy
                | collector.reach.lock_scope()
                | walked.loop_or_in_place
                | _name_users(walked.mentions, collector.reach.site_names())
                | _global_writers(tree, collector.reach.site_names())
                # a metaclass's bases decide that it is one (`class SingletonMeta(Meta)`): keep them whole
                | {collector.top_classes[name][0] for name in collector.metaclasses if name in collector.top_classes}
            )
        if lazy:
            scope = facts.statements["lazy_lock_scope"]
            scope |= _class_families(collector, scope)
        if facts.cache_decorators:
            scope = _cache_factory_scope(tree, collector)
            facts.statements["cache_decorators"] = scope | _class_families(collector, scope)
        return facts
    except RecursionError:
        return None
