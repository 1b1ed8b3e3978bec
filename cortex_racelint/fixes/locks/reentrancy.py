"""Whether the lock a lazy-init fix holds can be taken again while it is held, and what to do.

Double-checked locking holds the new lock while the value is created. The module's call graph
(`analysis.call_graph`) says what that creation can run:
- the same lock again (memoised recursion, a factory that reads another key of the same cache,
  a subclass constructor calling the base accessor, a caller that holds the lock around the
  accessor): a plain `Lock` would deadlock the first single-threaded call, so the new lock is an
  `RLock`; an existing plain `Lock` of the user's is not changed: no fix;
- another lock whose holder comes back to this one: two threads can deadlock in opposite orders,
  which no kind of lock prevents: no fix;
- an `await` or a `yield`: a threading lock held across it blocks the event loop or stays held
  while the consumer runs: no fix.
Locks are told apart by name (`_cache_lock`, `Klass._instance_lock`), the way the fixes name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import libcst as cst

from ...analysis.caller_locks import caller_held_lock
from ...analysis.call_graph import ModuleCallGraph, module_call_graph
from ...analysis.context import LintContext
from ...analysis.lazy_sites import cache_read, returns_state
from ...analysis.lazyinit import find_creation, parse_lazy_check, walk_statements
from ...analysis.locks import call_factory
from ...analysis.names import dotted_name
from ..blocks import block_statements
from .placement import lock_name_for

_REENTRANT_FACTORIES = frozenset({"threading.RLock", "threading.Condition"})


@dataclass(frozen=True)
class _Holder:
    """Code that runs with `key` held: a lazy site's creation, or an existing `with <lock>:` body."""

    key: str
    function: cst.FunctionDef
    body: tuple[cst.CSTNode, ...]


@dataclass
class LockOrder:
    """For each lock the lazy fixes name: which locks code holding it can take next."""

    next_locks: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {taken key: via function}

    def reentered(self, key: str) -> Optional[str]:
        """The function through which `key` is taken again while held, if any."""
        return self.next_locks.get(key, {}).get(key)

    def cycle_partner(self, key: str) -> Optional[tuple[str, str]]:
        """Another lock taken while `key` is held, whose holders can take `key` (directly or not)."""
        for other, via in sorted(self.next_locks.get(key, {}).items()):
            if other != key and key in self._closure(other):
                return other, via
        return None

    def _closure(self, start: str) -> set[str]:
        seen: set[str] = set()
        pending = [start]
        while pending:
            current = pending.pop()
            for nxt in self.next_locks.get(current, {}):
                if nxt not in seen:
                    seen.add(nxt)
                    pending.append(nxt)
        return seen


def lazy_lock_key(state: str, owner: Optional[str]) -> Optional[str]:
    """The name of the lock a lazy-init fix of `state` takes, qualified by its class for class state."""
    head, dot, _ = state.partition(".")
    if not dot:
        return lock_name_for(state)
    if owner is not None and "." not in state[len(head) + 1 :] and head in ("cls", owner):
        return f"{owner}.{lock_name_for(state)}"
    return None


def lock_order(context: LintContext) -> LockOrder:
    """The module's lock order, computed once per module (memoised on the context)."""
    key = ("lazy_lock_order",)
    if key not in context.memo:
        context.memo[key] = _lock_order(context)
    return context.memo[key]  # type: ignore[return-value]


def _lock_order(context: LintContext) -> LockOrder:
    graph = module_call_graph(context)
    functions = [*graph.functions.values(), *(m for methods in graph.methods.values() for m in methods.values())]
    holders = [holder for function in functions for holder in _holders(context, graph, function)]
    takes: dict[int, set[str]] = {}
    for holder in holders:
        takes.setdefault(id(holder.function), set()).add(holder.key)
    order = LockOrder()
    for holder in holders:
        following = order.next_locks.setdefault(holder.key, {})
        for callee in graph.reachable(holder.body, holder.function):
            for taken in sorted(takes.get(id(callee), ())):
                following.setdefault(taken, callee.name.value)
    return order


def _holders(context: LintContext, graph: ModuleCallGraph, function: cst.FunctionDef) -> Iterator[_Holder]:
    owner = graph.owner.get(id(function))
    for block in _own_blocks(function):
        statements = list(block.body)
        for index, stmt in enumerate(statements):
            if isinstance(stmt, cst.If):
                site = _lazy_site(stmt, statements[:index], statements[index + 1 :], owner)
                # a site every caller already locks is not reported, so no fix takes its lock
                if site is not None and _shared(context, function, site[2]) and caller_held_lock(context, function) is None:
                    yield _Holder(site[0], function, tuple(site[1]))
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    held = _held_key(context, item.item, owner, function)
                    if held is not None:
                        yield _Holder(held, function, (stmt.body,))


def _shared(context: LintContext, function: cst.FunctionDef, state: str) -> bool:
    """A module global (declared, or assigned at module level and not a local), or class state."""
    if "." in state:
        return True  # `lazy_lock_key` already kept only `cls.x` / `Klass.x`
    return state in context.globals_of(function) or (
        state in context.module_assignments and state not in context.locals_of(function)
    )


def _lazy_site(
    node: cst.If, before: Sequence[cst.CSTNode], after: Sequence[cst.CSTNode], owner: Optional[str]
) -> Optional[tuple[str, list[cst.CSTNode], str]]:
    """The lock key, the guarded statements and the state of a lazy-init `if`, read the way the CRL1
    rules read it."""
    check = parse_lazy_check(node.test)
    if check is None:
        return None
    body = block_statements(node.body)[0]
    if check.missing:
        guard: list[cst.CSTNode] = list(body)
    elif len(body) == 1 and returns_state(body[0], check.state, check.alias):
        guard = list(after)
    else:
        return None
    if find_creation(guard, check) is None:
        return None
    state = check.state
    for stmt in reversed(before):  # `v = _cache.get(k)` then `if v is None:` guards `_cache`
        read = cache_read(stmt)
        if read is not None and read[0] == state:
            state = read[1]
            break
    key = lazy_lock_key(state, owner)
    return (key, guard, state) if key is not None else None


def _held_key(context: LintContext, item: cst.BaseExpression, owner: Optional[str], function: cst.FunctionDef) -> Optional[str]:
    if not context.locks.is_lock(item) or isinstance(item, cst.Call):
        return None
    name = dotted_name(item)
    if not name:
        return None
    head, dot, rest = name.partition(".")
    if not dot:
        return name
    params = function.params.params
    receiver = params[0].name.value if params else None
    if owner is not None and "." not in rest and head in (owner, receiver):
        return f"{owner}.{rest}"
    return None


def _own_blocks(function: cst.FunctionDef) -> Iterator[cst.IndentedBlock]:
    """The indented blocks of `function`, not those of nested defs or classes (statements only:
    expressions hold no blocks, so they are never walked)."""
    pending: list[cst.BaseSuite] = [function.body]
    while pending:
        block = pending.pop()
        if not isinstance(block, cst.IndentedBlock):
            continue
        yield block
        for stmt in block.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
                continue
            pending.extend(_sub_suites(stmt))


def _sub_suites(stmt: cst.BaseStatement) -> Iterator[cst.BaseSuite]:
    """The suites a compound statement holds (`if`/`elif`/`else`, loops, `try`, `with`, `match`)."""
    for name in ("body", "orelse", "finalbody"):
        part = getattr(stmt, name, None)
        if isinstance(part, cst.BaseSuite):
            yield part
        elif isinstance(part, (cst.If, cst.Else, cst.Finally)):
            if isinstance(part, cst.If):
                yield from _sub_suites(part)
            else:
                yield part.body
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body


def suspends(statements: Sequence[cst.CSTNode]) -> Optional[str]:
    """`await` or `yield` among statements that would run under a threading lock, spelt for a message."""
    for node in walk_statements(statements):
        if isinstance(node, cst.Await) or (isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None):
            return "await"
        if isinstance(node, cst.Yield):
            return "yield"
    return None


def existing_lock_factory(context: LintContext, name: str, class_node: Optional[cst.ClassDef]) -> Optional[str]:
    """The factory of a lock already bound to `name` (module global, or class attribute), if any."""
    statements: list[cst.CSTNode] = []
    if class_node is not None and isinstance(class_node.body, cst.IndentedBlock):
        statements = list(class_node.body.body)
    elif name in context.module_assignments:
        statements = [context.module_assignments[name]]
    for stmt in statements:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else []
                if isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                if value is not None and any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    return call_factory(value, context.imports) or "<unknown>"
    return None


def is_reentrant_factory(factory: Optional[str]) -> bool:
    return factory in _REENTRANT_FACTORIES
