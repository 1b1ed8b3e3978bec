"""asyncio primitives created once and used by coroutines of event loops on several threads (CRL501).

An `asyncio.Lock` (Semaphore, Event, Condition, Queue, Barrier) is not a thread lock: it belongs
to one event loop. On 3.10+ it binds to the first loop that has to wait on it, and a wait from
any other loop raises `RuntimeError: ... is bound to a different event loop`; a waiter woken
from another thread is woken by a call that is not thread-safe (its loop may sleep on). Evidence,
all of it read from one module:

* **created once**: `X = asyncio.Lock()` at module level, in a class body, or `self.X = ...` in
  `__init__` and bound nowhere else (a primitive rebound per run is per loop);
* **run on a loop of its own**: a *loop run* — `asyncio.run(coro)`, `loop.run_until_complete(coro)`
  or `loop.create_task(coro)` on a loop the same function makes with `asyncio.new_event_loop()`, `runner.run(coro)` in
  `with asyncio.Runner() as runner:` — whose coroutine reaches (through calls) code that uses it;
* **on more than one thread**: the function holding the loop run is reached from a thread entry
  (`analysis.thread_syntax.thread_target`: a `Thread`/`Timer` target, an executor `submit`/`map`,
  `run_in_executor`, `to_thread`; a `Thread` subclass's `run`) several instances of which run at
  once (an executor task, a thread started in a loop or at two places), or the loop runs of the
  primitive are reached from two different threads (two entries, or an entry and the caller).
  A thread target that is `asyncio.run` itself (`submit(asyncio.run, self.main())`) is a loop run.

An instance attribute counts only through entries that are the object's own methods
(`Thread(target=self.worker)`): they share the instance, and so the primitive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import libcst as cst

from .context import LintContext
from .names import dotted_name
from .access_kinds import _EXECUTOR_METHODS
from .thread_syntax import _arg, _class_methods, _is_thread_subclass, _unwrap_callable, _walk, self_name, thread_target

#: the asyncio classes bound to one event loop
PRIMITIVES = frozenset(
    {"Lock", "Semaphore", "BoundedSemaphore", "Event", "Condition", "Queue", "PriorityQueue", "LifoQueue", "Barrier"}
)
CALLER = "caller"
MODULE = "<module>"
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


@dataclass(frozen=True)
class Primitive:
    """An asyncio primitive created once: `kind` "global" | "class" | "instance"."""

    kind: str
    owner: Optional[str]  # the class (None for a global)
    name: str
    factory: str  # "asyncio.Lock"
    creation: cst.CSTNode  # the assignment statement

    @property
    def spelling(self) -> str:
        return {"global": self.name, "class": f"{self.owner}.{self.name}", "instance": f"self.{self.name}"}[self.kind]


@dataclass(frozen=True)
class ThreadEntry:
    """Code started on other threads: a function of the module, or a loop run handed over directly."""

    label: str  # how a message names it: "executor task `fetch_sync()`"
    target: Optional[str]  # function key, None for a loop run that is the target itself
    multi: bool  # several can run at once
    owner: Optional[str]  # the class whose own method it is (`self.m`): shares the instance


@dataclass(frozen=True)
class LoopRun:
    """`asyncio.run(coro)` and its spellings: a new event loop on the thread that runs it."""

    function: str  # key of the function holding it (MODULE for top-level code)
    call: cst.Call
    roots: frozenset[str]  # functions the coroutine expression calls
    entry: Optional[ThreadEntry] = None  # the thread target is the loop run itself


@dataclass
class Function:
    key: str  # "f" or "Class.m"
    node: Optional[cst.FunctionDef]
    owner: Optional[str]
    self_name: Optional[str]
    calls: set[str] = field(default_factory=set)
    uses: dict[Primitive, list[cst.CSTNode]] = field(default_factory=dict)


@dataclass(frozen=True)
class CrossLoopUse:
    """A primitive the coroutines of more than one thread's event loop use: the finding."""

    primitive: Primitive
    uses: tuple[cst.CSTNode, ...]
    runs: tuple[LoopRun, ...]
    threads: tuple[str, ...]  # labels of the threads whose loops use it (CALLER: the owner's thread)
    multi: Optional[str]  # a thread entry several instances of which run at once, if any


def cross_loop_uses(context: LintContext) -> list[CrossLoopUse]:
    """Every asyncio primitive of the module used by event loops of several threads (memoised)."""
    key = ("asyncio_cross_loop", id(context.module))
    if key not in context.memo:
        context.memo[key] = _Model(context).findings()
    return context.memo[key]  # type: ignore[return-value]


def loops_on_threads(context: LintContext) -> bool:
    """The module runs an event loop on a thread it starts (a loop run a thread entry reaches, or
    `submit(asyncio.run, ...)`): coroutines may then run on two threads at once, and a window with
    no `await` is no longer whole. A loop another module runs is no evidence (`project/event_loop.file_facts`)."""
    key = ("asyncio_loops_on_threads", id(context.module))
    if key not in context.memo:
        model = _Model(context)
        model.collect_definitions()
        for function in list(model.functions.values()):
            model.scan(function)
        model._subclass_entries()
        reached: set[str] = set()
        for entry in model.entries:
            if entry.target is not None:
                reached |= model.reach({entry.target})
        context.memo[key] = any(run.entry is not None or run.function in reached for run in model.runs)
    return context.memo[key]  # type: ignore[return-value]


def _body(block: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return block.body if isinstance(block, cst.IndentedBlock) else ()


def _top_statements(stmts: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Module statements, looking into `if`/`try` blocks (definitions made conditionally)."""
    for stmt in stmts:
        if isinstance(stmt, cst.If):
            yield from _top_statements(_body(stmt.body))
            if stmt.orelse is not None:
                yield from _top_statements([stmt.orelse] if isinstance(stmt.orelse, cst.If) else _body(stmt.orelse.body))
        elif isinstance(stmt, cst.Try):
            yield from _top_statements(_body(stmt.body))
            for handler in stmt.handlers:
                yield from _top_statements(_body(handler.body))
        else:
            yield stmt


def _assignments(stmt: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(target, value) of the plain and annotated assignments of a simple statement line."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                yield target.target, small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            yield small.target, small.value


class _Model:
    def __init__(self, context: LintContext) -> None:
        self.context = context
        self.imports = context.imports
        self.functions: dict[str, Function] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.primitives: dict[tuple[str, Optional[str], str], Primitive] = {}
        self.entries: list[ThreadEntry] = []
        self.runs: list[LoopRun] = []
        self.thread_lambdas: set[int] = set()  # ids of lambdas handed to a thread or executor

    # -- 1. what the module defines ------------------------------------------------------
    def factory(self, value: cst.BaseExpression) -> Optional[str]:
        if not isinstance(value, cst.Call):
            return None
        qualified = self.imports.qualify(value.func) or ""
        head, _, last = qualified.rpartition(".")
        if last in PRIMITIVES and (head == "asyncio" or head.startswith("asyncio.")):
            return f"asyncio.{last}"
        return None

    def collect_definitions(self) -> None:
        module_body = list(_top_statements(self.context.module.body))
        self.functions[MODULE] = Function(MODULE, None, None, None)
        for stmt in module_body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = Function(stmt.name.value, stmt, None, None)
            elif isinstance(stmt, cst.ClassDef):
                self.classes[stmt.name.value] = stmt
                for name, defs in _class_methods(stmt).items():
                    key = f"{stmt.name.value}.{name}"
                    self.functions[key] = Function(key, defs[0], stmt.name.value, self_name(defs[0]))
                for inner in _body(stmt.body):
                    for target, value in _assignments(inner):
                        self._add_primitive("class", stmt.name.value, target, value, inner)
            for target, value in _assignments(stmt):
                self._add_primitive("global", None, target, value, stmt)
        for cls, class_node in self.classes.items():
            init = self.functions.get(f"{cls}.__init__")
            if init is None or init.self_name is None:
                continue
            for stmt, _ in _walk(init.node.body, [], set()):  # type: ignore[union-attr]
                for target, value in _assignments(stmt):
                    if isinstance(target, cst.Attribute) and dotted_name(target.value) == init.self_name:
                        self._add_primitive("instance", cls, target.attr, value, stmt)
        self._drop_rebound()

    def _add_primitive(self, kind: str, owner: Optional[str], target, value, stmt: cst.CSTNode) -> None:
        factory = self.factory(value)
        if factory is not None and isinstance(target, cst.Name):
            key = (kind, owner, target.value)
            self.primitives[key] = Primitive(kind, owner, target.value, factory, stmt)

    def _drop_rebound(self) -> None:
        """A primitive bound again elsewhere (per run, per loop) is not created once."""
        for function in self.functions.values():
            if function.node is None:
                continue
            is_init = function.key == f"{function.owner}.__init__"
            for node, _ in _walk(function.node.body, [], set()):
                targets: list[cst.BaseExpression] = []
                if isinstance(node, cst.AssignTarget):
                    targets = [node.target]
                elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                    targets = [node.target]
                elif isinstance(node, cst.Global):
                    for name in node.names:
                        self.primitives.pop(("global", None, name.name.value), None)
                for target in targets:
                    spelt = dotted_name(target) or ""
                    head, _, attr = spelt.partition(".")
                    if function.self_name is not None and head == function.self_name and not is_init:
                        self.primitives.pop(("instance", function.owner, attr), None)
                        self.primitives.pop(("class", function.owner, attr), None)
                    elif head in self.classes:
                        self.primitives.pop(("class", head, attr), None)

    # -- 2. what each function calls, uses and runs --------------------------------------------
    def callee(self, func: cst.BaseExpression, function: Function) -> Optional[str]:
        if isinstance(func, cst.Name):
            return func.value if func.value in self.functions and func.value != MODULE else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            head, attr = func.value.value, func.attr.value
            if function.owner is not None and head in (function.self_name, "cls"):
                key = f"{function.owner}.{attr}"
            else:
                key = f"{head}.{attr}"
            return key if key in self.functions else None
        return None

    def primitive_used(self, node: cst.CSTNode, path: list[cst.CSTNode], function: Function, local: set[str]) -> Optional[Primitive]:
        parent = path[-2] if len(path) >= 2 else None
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return None  # `obj._lock` is not the global `_lock`
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return None
        if isinstance(node, cst.Name):
            return self.primitives.get(("global", None, node.value)) if node.value not in local else None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            head, attr = node.value.value, node.attr.value
            if function.owner is not None and head in (function.self_name, "cls"):
                found = self.primitives.get(("class", function.owner, attr))
                if head == function.self_name:
                    found = found or self.primitives.get(("instance", function.owner, attr))
                return found
            return self.primitives.get(("class", head, attr))
        return None

    def scan(self, function: Function) -> None:
        if function.node is None:
            roots = [s for s in _top_statements(self.context.module.body) if not isinstance(s, (cst.FunctionDef, cst.ClassDef))]
            local: set[str] = set()
        else:
            roots = [function.node.body]
            local = self.context.locals_of(function.node) - self.context.globals_of(function.node)
        new_loops: set[str] = set()
        runners: set[str] = set()
        for root in roots:  # first: threads started here, the loops made here
            for node, path in _walk(root, [], set()):
                if isinstance(node, cst.Assign) and self._qualified(node.value) == "asyncio.new_event_loop":
                    new_loops.update(dotted_name(t.target) or "" for t in node.targets)
                if isinstance(node, cst.WithItem) and self._qualified(node.item) == "asyncio.Runner" and node.asname:
                    runners.add(dotted_name(node.asname.name) or "")
                if isinstance(node, cst.Call):
                    self._thread_start(node, path, function)
        # then what this function's own thread does: a lambda handed to a thread runs on that thread
        for root in roots:
            for node, path in _walk(root, [], self.thread_lambdas):
                used = self.primitive_used(node, path, function, local)
                if used is not None and not self._is_binding(path):
                    function.uses.setdefault(used, []).append(node)
                if not isinstance(node, cst.Call):
                    continue
                target = self.callee(node.func, function)
                if target is not None:
                    function.calls.add(target)
                coroutine = self._loop_run_argument(node, new_loops, runners)
                if coroutine is not None:
                    self.runs.append(LoopRun(function.key, node, self._roots(coroutine, function)))

    def _is_binding(self, path: list[cst.CSTNode]) -> bool:
        """The creation itself (`self._lock = asyncio.Lock()`) is no use."""
        parent = path[-2] if len(path) >= 2 else None
        return isinstance(parent, (cst.AssignTarget, cst.AnnAssign)) and parent.target is path[-1]

    def _qualified(self, expr: cst.BaseExpression) -> str:
        return (self.imports.qualify(expr.func) or "") if isinstance(expr, cst.Call) else ""

    def _loop_run_argument(self, call: cst.Call, new_loops: set[str], runners: set[str]) -> Optional[cst.BaseExpression]:
        """The coroutine expression of a loop run (`asyncio.run(coro)` and its spellings), or None."""
        qualified = self.imports.qualify(call.func) or ""
        if qualified == "asyncio.run":
            return _arg(call, 0, "main")
        if isinstance(call.func, cst.Attribute):
            receiver = call.func.value
            method = call.func.attr.value
            made_here = dotted_name(receiver) in new_loops or self._qualified(receiver) == "asyncio.new_event_loop"
            if method == "run_until_complete" and made_here:
                return _arg(call, 0, "future")
            if method in ("create_task", "ensure_future") and made_here:  # then `loop.run_forever()`
                return _arg(call, 0, "coro")
            if method == "run" and dotted_name(receiver) in runners:
                return _arg(call, 0, "coro")
        return None

    def _roots(self, expr: Optional[cst.BaseExpression], function: Function) -> frozenset[str]:
        """Functions the coroutine expression calls (`self.main()`, `gather(a(), b())`, a local it was bound to)."""
        if expr is None:
            return frozenset()
        found: set[str] = set()
        expressions = [expr]
        if isinstance(expr, cst.Name) and function.node is not None:  # `coro = self.main(); asyncio.run(coro)`
            for node, _ in _walk(function.node.body, [], set()):
                for target, value in _assignments(node):
                    if isinstance(target, cst.Name) and target.value == expr.value:
                        expressions.append(value)
        for expression in expressions:
            for node, _ in _walk(expression, [], set()):
                if isinstance(node, cst.Call):
                    target = self.callee(node.func, function)
                    if target is not None:
                        found.add(target)
        return frozenset(found)

    # -- 3. threads ----------------------------------------------------------------------
    def _thread_start(self, call: cst.Call, path: list[cst.CSTNode], function: Function) -> None:
        found = thread_target(call, self.imports)
        if found is None:
            return
        kind, target = found
        if isinstance(target, cst.Lambda):
            self.thread_lambdas.add(id(target))
        multi = kind == "executor" or any(isinstance(step, _LOOPS) for step in path[:-1])
        unwrapped = _unwrap_callable(target, self.imports)
        if isinstance(target, cst.Lambda) and isinstance(target.body, cst.Call):
            argument = self._loop_run_argument(target.body, set(), set())
            if argument is not None:  # `Thread(target=lambda: asyncio.run(self.main()))`
                entry = ThreadEntry(f"{_KINDS[kind]} running `asyncio.run()`", None, multi, function.owner)
                self.runs.append(LoopRun(function.key, target.body, self._roots(argument, function), entry))
                return
        if (self.imports.qualify(unwrapped) or "") == "asyncio.run":  # `submit(asyncio.run, self.main())`
            entry = ThreadEntry(f"{_KINDS[kind]} running `asyncio.run()`", None, multi, function.owner)
            self.runs.append(LoopRun(function.key, call, self._roots(self._target_arguments(call, kind), function), entry))
            return
        key = self.callee(unwrapped, function)
        if key is None:
            return
        shares = function.owner if key.startswith(f"{function.owner}.") and isinstance(unwrapped, cst.Attribute) else None
        if shares is not None and dotted_name(unwrapped.value) != function.self_name:  # type: ignore[union-attr]
            shares = None
        label = f"{_KINDS[kind]} `{key.rsplit('.', 1)[-1]}()`"
        self.entries.append(ThreadEntry(label, key, multi, shares))

    def _target_arguments(self, call: cst.Call, kind: str) -> Optional[cst.BaseExpression]:
        """What a thread target is called with: `args=` of a Thread, the rest of `submit`'s arguments."""
        arguments = _arg(call, 2, "args") if kind in ("thread", "timer") else None
        if arguments is not None:
            return arguments
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _EXECUTOR_METHODS:
            skip = _EXECUTOR_METHODS[call.func.attr.value] + 1
            positional = [a.value for a in call.args if a.keyword is None][skip:]
            return cst.Tuple([cst.Element(v) for v in positional]) if positional else None
        return None

    def _subclass_entries(self) -> None:
        for cls, class_node in self.classes.items():
            if _is_thread_subclass(class_node, self.imports) and f"{cls}.run" in self.functions:
                self.entries.append(ThreadEntry(f"`{cls}.run()` thread", f"{cls}.run", False, None))

    # -- 4. putting it together ------------------------------------------------------------
    def reach(self, starts: set[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            key = stack.pop()
            if key in seen or key not in self.functions:
                continue
            seen.add(key)
            stack.extend(self.functions[key].calls)
        return seen

    def caller_roots(self) -> set[str]:
        """Code the owner's thread runs: top-level code, and what nothing in the module calls or starts."""
        called = {c for f in self.functions.values() if f.key != MODULE for c in f.calls}
        started = {e.target for e in self.entries if e.target is not None}
        roots = {MODULE}
        for key in self.functions:
            name = key.rsplit(".", 1)[-1]
            if key in called or key in started or (name.startswith("_") and not name.endswith("__")):
                continue
            roots.add(key)
        return roots

    def findings(self) -> list[CrossLoopUse]:
        self.collect_definitions()
        if not self.primitives:
            return []
        for function in list(self.functions.values()):
            self.scan(function)
        self._subclass_entries()
        started: dict[str, int] = {}
        for entry in self.entries:
            started[entry.target or ""] = started.get(entry.target or "", 0) + 1
        self.entries = [  # started at two places: two can run at once
            ThreadEntry(e.label, e.target, True, e.owner) if started[e.target or ""] > 1 else e for e in self.entries
        ]
        if not self.runs or not (self.entries or any(r.entry for r in self.runs)):
            return []
        on_caller = self.reach(self.caller_roots())
        entry_reach = [(entry, self.reach({entry.target})) for entry in self.entries if entry.target is not None]
        result = []
        for primitive in sorted(self.primitives.values(), key=lambda p: (p.kind, p.owner or "", p.name)):
            threads: dict[str, ThreadEntry] = {}
            runs: list[LoopRun] = []
            uses: list[cst.CSTNode] = []
            for run in self.runs:
                reached = self.reach(set(run.roots))
                run_uses = [n for key in sorted(reached) for n in self.functions[key].uses.get(primitive, [])]
                if not run_uses:
                    continue
                shared_by = primitive.owner if primitive.kind == "instance" else None
                here: list[tuple[str, Optional[ThreadEntry]]] = []
                if run.entry is not None:
                    if shared_by is None or run.entry.owner == shared_by:
                        here.append((run.entry.label, run.entry))
                else:
                    here += [
                        (e.label, e)
                        for e, reached_by in entry_reach
                        if run.function in reached_by and (shared_by is None or e.owner == shared_by)
                    ]
                    if run.function in on_caller:
                        here.append((CALLER, None))
                if here:
                    runs.append(run)
                    uses.extend(n for n in run_uses if n not in uses)
                for label, entry in here:
                    threads.setdefault(label, entry)  # type: ignore[arg-type]
            multi = next((label for label, e in threads.items() if e is not None and e.multi), None)
            if multi is not None or len(threads) >= 2:
                result.append(CrossLoopUse(primitive, tuple(uses), tuple(runs), tuple(threads), multi))
        return result


_KINDS = {"thread": "thread", "timer": "timer", "executor": "executor task", "nested": "thread"}
