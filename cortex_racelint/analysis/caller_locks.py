"""Which of the module's functions run only while their caller holds a lock.

A check-then-act inside a function is serialised when every call of that function holds one
lock: the `_locked` helper shape (`with self._lock: self._ensure_pool()`), or tqdm's
`root_lock.acquire(); cls.create_mp_lock(); ... root_lock.release()`. The model, which the
CRL1 rule pages state:
- every call of the function that the module's call graph (`analysis.call_graph`) resolves
  (and `cls.m()` after `cls = type(self)`) holds the same lock, itself or because the calling
  helper is in turn only called under it (`get` locks and calls `_a`, which calls `_b`): `with lock:`, `lock.acquire()`
  ... `lock.release()`, or the optional-lock spelling `if lock is not None: lock.acquire()`
  (`analysis.locks`); there is at least one;
- that lock is one object for every caller: a module global or a class attribute (also through
  a local copy, `root_lock = cls.th_lock`). An instance's lock (`self._lock` set in `__init__`)
  does not serialise two objects reaching module or class state (loky's per-executor lock
  around a module global);
- the module uses the function in no other way: no reference to its name that is not such a
  call (a thread target, a callback, a stored or returned bound method), no call from module
  or class level or from a nested function or lambda (it may run later, without the lock);
- it is no special method (`__init__`, `__call__`, `__get__`, ... run implicitly) and carries
  no decorator but `classmethod`/`staticmethod` (a decorator may register it elsewhere).
A private function (`_name`) is not expected to be called from other modules, so the module's
calls are all of them. A public one is judged so only when it is a method whose every call
comes from its own class hierarchy holding a lock of that hierarchy: the class keeps the
protocol (tqdm's `create_mp_lock`, a public classmethod called from `__init__` under the class
lock). A public module function is an accessor other modules call as they like: a lock its
in-module callers hold (`with _config_lock: get_config()`) does not guard it. Callers in other
modules are not seen (the limit every call-graph question here has).

This is the one caller-held-lock analysis (`_common_locks`): the file-write rules (CRL301/302)
ask it too, through `every_caller_holds`, with their own lock model (any held lock, an
instance's too, and the helper module's `locked(path)`) and for private helpers only. A call
site's locks are its own plus those every call of its calling helper holds.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import libcst as cst

from .call_graph import ModuleCallGraph, module_call_graph
from .context import LintContext
from .lazyinit import walk_statements
from .names import dotted_name
from .traverse import children

_ALLOWED_DECORATORS = frozenset({"classmethod", "staticmethod"})


def caller_held_lock(context: LintContext, function: Optional[cst.FunctionDef]) -> Optional[str]:
    """The lock every in-module call of `function` holds (`Owner.attr` or a module global), when
    the module reaches `function` only that way; else None. The lazy-init rules' lock model
    (`_shared_held_at`): one object for every caller."""
    if function is None:
        return None
    key = ("caller_held_lock", id(function))
    if key not in context.memo:
        context.memo[key] = None  # a recursion guard: a cycle of helpers holds no lock
        context.memo[key] = _caller_held_lock(context, function)
    return context.memo[key]  # type: ignore[return-value]


def _caller_held_lock(context: LintContext, function: cst.FunctionDef) -> Optional[str]:
    if not _eligible(function):
        return None
    common = set(_common_locks(context, function, _shared_held_at(context), _single_lock))
    if common and not function.name.value.startswith("_"):
        common = _class_protocol(context, function, common)
    if not common or _other_references(context, function):
        return None
    return sorted(common)[0]


def _single_lock(context: LintContext, caller: cst.FunctionDef) -> frozenset[str]:
    lock = caller_held_lock(context, caller)
    return frozenset([lock]) if lock is not None else frozenset()


#: the locks held at one call site, in a rule family's own model: (ancestor path, calling function) -> keys
#: (None: the model does not count a call from module or class level, which runs at import)
HeldAt = Callable[[tuple[cst.CSTNode, ...], Optional[cst.FunctionDef]], Optional[frozenset[str]]]


def every_caller_holds(context: LintContext, function: Optional[cst.FunctionDef], held_at: HeldAt, model: str) -> frozenset[str]:
    """The locks every in-module call of a private `function` holds, in the model `held_at` spells
    (the file-write rules': any lock, an instance's too, and the helper module's `locked(path)`).

    The same call sites, eligibility and other-reference test as `caller_held_lock` (`_common_locks`).
    `model` names the memo of that lock model."""
    if function is None or not function.name.value.startswith("_") or not _eligible(function):
        return frozenset()
    key = ("every_caller_holds", model, id(function))
    memo = context.memo
    if key not in memo:
        memo[key] = frozenset()  # a recursion guard: a cycle of helpers holds no lock
        found = _common_locks(context, function, held_at, lambda ctx, caller: every_caller_holds(ctx, caller, held_at, model))
        memo[key] = frozenset() if not found or _other_references(context, function) else found
    return memo[key]  # type: ignore[return-value]


def _common_locks(
    context: LintContext,
    function: cst.FunctionDef,
    held_at: HeldAt,
    inherited: Callable[[LintContext, cst.FunctionDef], frozenset[str]],
) -> frozenset[str]:
    """The one caller-held-lock analysis: the locks held at every resolved call of `function`.

    A site's locks are those `held_at` finds there, plus those every call of its calling helper
    holds (`inherited`: a helper called under `self._lock` that calls `_write()` under
    `locked(path)` holds both). A call from a nested def or lambda holds none (it may run later);
    one from module or class level holds what `held_at` says (None: none); no resolved call
    holds none."""
    paths = _module_caller_sites(context).get(id(function))
    if not paths:
        return frozenset()
    callers: list[Optional[cst.FunctionDef]] = context.memo[("caller_functions",)].get(id(function), [])  # type: ignore[attr-defined]
    common: Optional[frozenset[str]] = None
    for path, caller in zip(paths, callers):
        held = held_at(path, caller) if path is not None else None
        if held is None:
            return frozenset()
        if caller is not None and caller is not function:
            held = held | inherited(context, caller)
        common = held if common is None else common & held
        if not common:
            return frozenset()
    return common or frozenset()


def _shared_held_at(context: LintContext) -> HeldAt:
    """The lazy-init model: the locks at a site that are one object for every caller (`_normalise`)."""
    key = ("caller_shared_held_at",)
    if key not in context.memo:
        graph = module_call_graph(context)
        sites = _CallSites(context, graph)

        def held_at(path: tuple[cst.CSTNode, ...], caller: Optional[cst.FunctionDef]) -> Optional[frozenset[str]]:
            if caller is None:
                return None  # module or class level: the lazy-init model does not count it
            owner = graph.owner.get(id(caller))
            receiver = _first_parameter(caller) if owner is not None else None
            keys = (sites._normalise(k, caller, owner, receiver) for k in context.locks.locks_held(path))
            return frozenset(k for k in keys if k is not None)

        context.memo[key] = held_at
    return context.memo[key]  # type: ignore[return-value]


def _class_protocol(context: LintContext, function: cst.FunctionDef, common: set[str]) -> set[str]:
    """For a public function, the locks that make the in-module calls its whole protocol: it is
    a method, and every call comes from its own class hierarchy holding a lock of that hierarchy.
    A public module function (`get_config()`, called under a lock by `reload_config()`) is an
    accessor other modules call as they like: none."""
    graph = module_call_graph(context)
    owner = graph.owner.get(id(function))
    if owner is None:
        return set()
    family = {owner, *graph.ancestry(owner), *graph.subclasses(owner)}
    callers: list[Optional[str]] = context.memo[("caller_owners",)].get(id(function), [])  # type: ignore[attr-defined]
    if any(caller not in family for caller in callers):
        return set()
    return {key for key in common if key.partition(".")[0] in family}


def _eligible(function: cst.FunctionDef) -> bool:
    name = function.name.value
    if name.startswith("__") and name.endswith("__"):
        return False
    return all(dotted_name(d.decorator) in _ALLOWED_DECORATORS for d in function.decorators)


def _module_caller_sites(context: LintContext) -> dict[int, list[Optional[tuple[cst.CSTNode, ...]]]]:
    """id(callee) -> per resolved call site, its ancestor path (None: nested code);
    memoised per module, with the callers (`caller_functions`, `caller_owners`)."""
    key = ("caller_sites",)
    if key not in context.memo:
        context.memo[key] = _CallSites(context, module_call_graph(context)).collect()
    return context.memo[key]  # type: ignore[return-value]


_LEAVING = (None, None, False)  # on the stack after a node's children: pop it from the path


class _CallSites:
    """One walk of the module, keeping the ancestor path (the lock analysis reads it)."""

    def __init__(self, context: LintContext, graph: ModuleCallGraph) -> None:
        self.context = context
        self.graph = graph
        #: id(call.func) of every call resolved to a module function: not an "other reference"
        self.resolved_funcs: set[int] = set()
        #: id(callee) -> the class of each calling method (None: a module function or module level)
        self.callers: dict[int, list[Optional[str]]] = {}
        #: id(callee) -> per site, the calling module function or method (None: module level, nested code)
        self.caller_functions: dict[int, list[Optional[cst.FunctionDef]]] = {}
        #: id(callee) -> per site, the ancestor path of the call (None: nested code)
        self.paths: dict[int, list[Optional[tuple[cst.CSTNode, ...]]]] = {}

    def collect(self) -> dict[int, list[Optional[tuple[cst.CSTNode, ...]]]]:
        """Walk the module once (iteratively: a deeply nested expression must not hit the recursion limit)."""
        path: list[cst.CSTNode] = []
        stack: list[tuple[Optional[cst.CSTNode], Optional[cst.FunctionDef], bool]] = [(self.context.module, None, False)]
        pop, push, owners = stack.pop, stack.append, self.graph.owner
        while stack:
            node, function, nested = pop()
            if node is None:  # leaving the node on top of the path
                path.pop()
                continue
            path.append(node)
            kind = type(node)  # exact types: LibCST's node classes are ABCs, slow to `isinstance`
            if kind is cst.FunctionDef and function is None and id(node) in owners:
                function = node
            elif kind is cst.FunctionDef or kind is cst.Lambda:
                nested = True  # a def or lambda inside a function (or at module level): it may run later
            elif kind is cst.Call:
                self._call(node, path, function, nested)  # type: ignore[arg-type]
            push(_LEAVING)
            for child in reversed(list(children(node))):
                push((child, function, nested))
        self.context.memo[("caller_resolved_funcs",)] = self.resolved_funcs
        self.context.memo[("caller_owners",)] = self.callers
        self.context.memo[("caller_functions",)] = self.caller_functions
        return self.paths

    def _call(self, call: cst.Call, path: Sequence[cst.CSTNode], function: Optional[cst.FunctionDef], nested: bool) -> None:
        owner = self.graph.owner.get(id(function)) if function is not None else None
        receiver = _first_parameter(function) if owner is not None and function is not None else None
        callees = self.graph.callees(call, owner, receiver)
        target = call.func.value if isinstance(call.func, cst.Attribute) else None
        if not callees and owner is not None and isinstance(target, cst.Name) and function is not None:
            if target.value in self._class_aliases(function, receiver):  # `cls = type(self)`; `cls.m()`
                callees = self.graph.callees(call, owner, target.value)
        if not callees:
            return
        self.resolved_funcs.add(id(call.func))
        where = None if nested else tuple(path)
        for callee in callees:
            self.paths.setdefault(id(callee), []).append(where)
            self.callers.setdefault(id(callee), []).append(owner)
            self.caller_functions.setdefault(id(callee), []).append(None if nested else function)

    def _class_aliases(self, function: cst.FunctionDef, receiver: Optional[str]) -> set[str]:
        """Locals bound to the receiver's class: `cls = type(self)` / `cls = self.__class__`."""
        key = ("class_aliases", id(function))
        if key not in self.context.memo:
            aliases: set[str] = set()
            for node in walk_statements([function.body]):
                if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                    value = node.value
                    if receiver is not None and (
                        (isinstance(value, cst.Call) and dotted_name(value.func) == "type" and len(value.args) == 1
                         and dotted_name(value.args[0].value) == receiver)
                        or dotted_name(value) == f"{receiver}.__class__"
                    ):
                        aliases.add(node.targets[0].target.value)
            self.context.memo[key] = aliases
        return self.context.memo[key]  # type: ignore[return-value]

    def _normalise(self, key: str, function: cst.FunctionDef, owner: Optional[str], receiver: Optional[str]) -> Optional[str]:
        """The lock's name when it is one object for every caller: a module global, or a class
        attribute (`Owner.attr`). An instance's lock (`self._lock` set in `__init__`) is one per
        object, so it does not serialise callers on two objects: None, as for anything unknown."""
        head, dot, rest = key.partition(".")
        if not dot:
            if key in self.context.module_assignments and key not in self.context.locals_of(function):
                return key
            alias = self._local_alias(function, key)  # `root_lock = cls.th_lock`
            if alias is None:
                return None
            head, dot, rest = alias.partition(".")
            if not dot:
                return alias if alias in self.context.module_assignments and alias not in self.context.locals_of(function) else None
        if "." in rest:
            return None
        if head in self.graph.methods:  # `Klass._lock`
            return f"{head}.{rest}"
        if owner is None:
            return None
        class_receiver = receiver is not None and head == receiver and _is_classmethod(function)
        if class_receiver or head in self._class_aliases(function, receiver):
            return f"{owner}.{rest}"
        if head == receiver and self._class_attribute(owner, rest):
            return f"{owner}.{rest}"
        return None

    def _local_alias(self, function: cst.FunctionDef, name: str) -> Optional[str]:
        """`name = a.b` when that is the function's only binding of `name`: the lock it names."""
        bindings = [
            node
            for node in walk_statements([function.body])
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.With, cst.NamedExpr))
            and name in _bound(node)
        ]
        if len(bindings) != 1 or not isinstance(bindings[0], cst.Assign) or len(bindings[0].targets) != 1:
            return None
        return dotted_name(bindings[0].value)

    def _class_attribute(self, owner: str, attribute: str) -> bool:
        """`attribute` is assigned in the body of `owner` (or an in-module base) and no method
        assigns `self.attribute`: every instance reads the one class-level object."""
        classes = {stmt.name.value: stmt for stmt in self.context.module.body if isinstance(stmt, cst.ClassDef)}
        in_body = False
        for name in self.graph.ancestry(owner):
            node = classes.get(name)
            if node is None or not isinstance(node.body, cst.IndentedBlock):
                continue
            for stmt in node.body.body:
                if isinstance(stmt, cst.SimpleStatementLine) and any(attribute in _bound(small) for small in stmt.body):
                    in_body = True
                elif isinstance(stmt, cst.FunctionDef):
                    for inner in walk_statements([stmt.body]):
                        if isinstance(inner, (cst.Assign, cst.AnnAssign)) and any(
                            isinstance(t, cst.Attribute) and t.attr.value == attribute for t in _targets(inner)
                        ):
                            return False
        return in_body


def _is_classmethod(function: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) == "classmethod" for d in function.decorators)


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    return []


def _bound(node: cst.CSTNode) -> set[str]:
    """Plain names a statement binds (targets of assignments, `for`, `with ... as`, walrus)."""
    if isinstance(node, cst.For):
        targets = [node.target]
    elif isinstance(node, cst.With):
        targets = [item.asname.name for item in node.items if item.asname is not None]
    elif isinstance(node, cst.NamedExpr):
        targets = [node.target]
    else:
        targets = _targets(node)
    names: set[str] = set()
    for target in targets:
        stack = [target]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                names.add(current.value)
            elif isinstance(current, (cst.Tuple, cst.List)):
                stack.extend(element.value for element in current.elements)
    return names


def _other_references(context: LintContext, function: cst.FunctionDef) -> bool:
    """The name is used other than as a resolved call: a callback, a thread target, stored, returned."""
    resolved: set[int] = context.memo.get(("caller_resolved_funcs",), set())  # type: ignore[assignment]
    key = ("name_references", function.name.value)
    if key not in context.memo:
        context.memo[key] = _references(context.module, function.name.value)
    return any(id(ref) not in resolved for ref in context.memo[key])  # type: ignore[attr-defined]


def _references(module: cst.Module, name: str) -> list[cst.CSTNode]:
    """Every `name` and `x.name` in the module, except the names of `def`s and classes."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value == name:
            found.append(node)
        elif isinstance(node, cst.Attribute) and node.attr.value == name:
            found.append(node)
            stack.append(node.value)
            continue
        skip = node.name if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else None
        stack.extend(child for child in children(node) if child is not skip)
    return found


def _first_parameter(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.params or function.params.posonly_params
    if not params:
        return None
    decorators = {dotted_name(d.decorator) for d in function.decorators}
    return None if "staticmethod" in decorators else params[0].name.value
