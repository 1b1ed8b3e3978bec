"""The lock of a lazy initialisation (CRL101-CRL105): named after the state it guards, a
module global's beside the global, a class attribute's on the class; an `RLock` when the
creation can take it again, none when it would be held across `await`/`yield` or in a lock
order cycle (`reentrancy`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import libcst as cst

from ...analysis.call_graph import module_call_graph
from ...analysis.context import LintContext
from ...analysis.lazy_sites import class_receiver
from ...analysis.lazyinit import find_creation, parse_lazy_check, walk_statements
from ...analysis.names import dotted_name
from ...rule import AddImport, InsertStatement
from .placement import class_lock, lock_name_for, module_lock
from .reentrancy import existing_lock_factory, is_reentrant_factory, lazy_lock_key, lock_order, suspends


@dataclass(frozen=True)
class LockChoice:
    """The lock a lazy-init fix holds and the edits that create it, or why there is no safe one."""

    lock: Optional[cst.BaseExpression]
    edits: list
    no_fix_reason: Optional[str] = None


def lazy_state_lock(context: LintContext, state: str, guarded: Sequence[cst.CSTNode], kind: str = "") -> LockChoice:
    """The lock named after a lazy state (module global, or class attribute for `cls.x`), of a kind
    that the creation (`guarded`, the statements the lock will hold) cannot deadlock on.

    `kind` is the site's (`rules/singletons/classification`): a closure variable's lock lives in
    the enclosing function, a function attribute's at module level, and a metaclass registry's
    lock is an `RLock` (the creation runs the `__init__` of whatever class is instantiated, which
    may instantiate another class of the same metaclass).
    """
    suspension = suspends(guarded)
    if suspension == "await":
        return LockChoice(None, [], (
            f"creating `{state}` awaits: a threading lock held across `await` blocks the event loop, and "
            "deadlocks it when another task wants the lock; guard it with an `asyncio.Lock` by hand"
        ))
    if suspension == "yield":
        return LockChoice(None, [], f"creating `{state}` yields: a lock held across `yield` stays held while the consumer runs")
    if kind == "closure":
        return _closure_lock(context, state)
    if kind == "funcattr":
        return _function_attribute_lock(context, state, guarded)
    receiver = class_receiver(context, state)
    class_node = context.class_ if receiver is not None else None
    lock_name = lock_name_for(state)
    key = lazy_lock_key(state, class_node.name.value if class_node is not None else None)
    order = lock_order(context)
    partner = order.cycle_partner(key) if key else None
    if partner is not None:
        return LockChoice(None, [], (
            f"creating `{state}` takes `{partner[0]}` (through `{partner[1]}()`), and code holding that lock "
            f"takes `{lock_name}`: two threads taking them in opposite orders deadlock; restructure it by hand"
        ))
    factory = "Lock"
    reentry = order.reentered(key) if key else None
    if reentry is not None:
        existing = existing_lock_factory(context, lock_name, class_node)
        if existing is not None and not is_reentrant_factory(existing):
            return LockChoice(None, [], (
                f"`{lock_name}` is a plain lock already, and `{reentry}()` takes it again while it is held: "
                "a second acquire would deadlock; make it a `threading.RLock` by hand"
            ))
        factory = "RLock"  # the creation comes back through `reentry()` on the same thread
    if kind == "metaclass":
        factory = "RLock"  # `super().__call__()` runs any class's `__init__`: it may build another instance
    if class_node is not None:
        assert receiver is not None
        edits = class_lock(context, class_node, lock_name, state.rsplit(".", 1)[-1], factory)
        return LockChoice(cst.Attribute(value=cst.Name(receiver), attr=cst.Name(lock_name)), edits)
    lock, edits = module_lock(context, lock_name, state, factory)
    return LockChoice(lock, edits)


def _closure_lock(context: LintContext, state: str) -> LockChoice:
    """`inst_lock = threading.RLock()` right after the enclosing function binds `inst`: one lock per
    closure, as the state is. Reentrant because the call graph does not follow closures (a creation
    calling the getter again recursed before the fix; it must not deadlock after it)."""
    outer = _enclosing_binder(context, state)
    if outer is None:
        return LockChoice(None, [], (
            f"`{state}` is not bound by a statement directly in the enclosing function's body, so there is no "
            "place to create its lock once per closure; guard it by hand"
        ))
    function, anchor = outer
    taken = context.locals_of(function) | context.globals_of(function)
    base = f"{state.lstrip('_')}_lock"
    name = next(n for n in (base, *(f"{base}_{i}" for i in range(2, 100))) if n not in taken)
    constructor, needs_import = context.lock_constructor("RLock")
    edits: list = [InsertStatement(anchor, f"{name} = {constructor}\n", f"closurelock:{id(function)}.{name}")]
    if needs_import:
        edits.insert(0, AddImport("threading"))
    return LockChoice(cst.Name(name), edits)


def _enclosing_binder(context: LintContext, state: str) -> Optional[tuple[cst.FunctionDef, cst.CSTNode]]:
    """The nearest enclosing function that binds `state`, and its top-level statement that does."""
    functions = [n for n in context.ancestors[:-1] if isinstance(n, cst.FunctionDef)]
    for function in reversed(functions[:-1]):
        if state not in context.locals_of(function):
            continue
        if not isinstance(function.body, cst.IndentedBlock):
            return None
        for stmt in function.body.body:
            if isinstance(stmt, cst.SimpleStatementLine) and any(
                dotted_name(target.target) == state
                for small in stmt.body
                if isinstance(small, cst.Assign)
                for target in small.targets
            ):
                return function, stmt
        return None
    return None


def _function_attribute_lock(context: LintContext, state: str, guarded: Sequence[cst.CSTNode]) -> LockChoice:
    """`_get_inst_lock` for `get._inst`, at module level before the function; an `RLock` when the
    creation can call the function again (through the module's call graph)."""
    owner, _, attribute = state.partition(".")
    name = f"_{owner.strip('_')}_{attribute.strip('_')}_lock"
    function = context.function
    reenters = function is not None and any(
        callee.name.value == owner for callee in module_call_graph(context).reachable(guarded, function)
    )
    lock, edits = module_lock(context, name, None, "RLock" if reenters else "Lock")
    return LockChoice(lock, edits)


def shared_lock_for_per_call(context: LintContext, function: cst.FunctionDef, with_node: cst.With) -> LockChoice:
    """The one module lock replacing a lock created per call (CRL104).

    Named after the lazy state the `with` guards (`_history_lock`), else after the function
    (`_work_lock`); reused if the module has it, else added beside that state. The per-call lock
    excluded nothing, so the code under it may `await`, `yield` or call back into the function:
    a shared lock there must not be held across a suspension (no fix), and is an `RLock` when
    the body can reach the function again.
    """
    suspension = suspends([with_node.body])
    if suspension is not None:
        return LockChoice(None, [], f"the block `{suspension}`s: a shared threading lock must not be held across it")
    state = None
    for inner in walk_statements([with_node.body]):
        if isinstance(inner, cst.If):
            check = parse_lazy_check(inner.test)
            if check is not None and "." not in check.state and find_creation(list(inner.body.body), check):
                state = check.state
                break
    lock_name = lock_name_for(state) if state else f"_{function.name.value.lstrip('_')}_lock"
    graph = module_call_graph(context)
    reenters = any(callee is function for callee in graph.reachable([with_node.body], function))
    lock, edits = module_lock(context, lock_name, state, "RLock" if reenters else "Lock")
    return LockChoice(lock, edits)
