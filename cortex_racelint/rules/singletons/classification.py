"""Which kind of lazy-init site an `if` is, decided once per node for all CRL1 rules.

Each rule reports only its own kind, so classifying here (memoised on the context) is what
keeps one site from being reported by two rules.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.asyncio_loops import loops_on_threads
from ...analysis.caller_locks import caller_held_lock
from ...analysis.context import LintContext
from ...analysis.import_time import initialised_at_import
from ...analysis.lazy_sites import LazyInitSite, cache_read, class_receiver, reads_attribute, function_nonlocals, is_metaclass, returns_state
from ...analysis.lazyinit import LazyCheck, find_creation, parse_lazy_check, walk_statements
from ...fixes.blocks import block_statements


def lazy_init_site(context: LintContext, node: cst.If) -> Optional[LazyInitSite]:
    """Classify one `if` (memoised: all CRL1 rules ask about the same nodes)."""
    key = ("lazy_init_site", id(node))
    if key not in context.memo:
        context.memo[key] = _classify(context, node)
    return context.memo[key]  # type: ignore[return-value]


def _classify(context: LintContext, node: cst.If) -> Optional[LazyInitSite]:
    check = parse_lazy_check(node.test)
    if check is None or context.function is None:
        return None
    reread = None
    kind = shared_kind(context, check)
    shared = kind is not None
    if not shared:
        local = _local_cache_check(context, node, check)
        if local is not None:
            check, reread = local
            kind = shared_kind(context, check)
            shared = kind is not None
    if not shared or context.in_main_guard():
        return None
    early_return = False
    if check.missing:
        creation = find_creation(list(node.body.body), check)
    else:
        parent = context.ancestors[-2] if len(context.ancestors) >= 2 else None
        body = block_statements(node.body)[0]  # `if _x is not None: return _x` on one line too
        if not (len(body) == 1 and returns_state(body[0], check.state, check.alias) and isinstance(parent, cst.IndentedBlock)):
            return None
        index = next(i for i, stmt in enumerate(parent.body) if stmt is node)
        rest = list(parent.body[index + 1 :])
        creation = find_creation(rest, check)
        early_return = True
        if creation is not None and lock_around(context, rest, creation) is not None:
            return None  # created under a lock after the fast-path return
    if creation is None:
        return None
    if not early_return:
        lock_with = _lock_in_body(context, node, creation)
        if lock_with is not None:
            if _has_recheck(lock_with, check, reread) or context.locks.is_lock_factory_call(lock_with.items[0].item):
                return None  # correct double-checked locking, or CRL104's per-call lock
            return LazyInitSite("broken-dcl", check, creation, lock_with=lock_with, reread=reread)
        if _locked_recheck(context, node, check, creation):
            return None  # double-checked with `lock.acquire()` / `try: ... finally: lock.release()` (stdlib tempfile)
    if context.held_locks() or caller_held_lock(context, context.function) is not None:
        return None
    if kind == "global" and initialised_at_import(context, context.function, check.state) is not None:
        return None  # the accessor's first call runs at import (`analysis/import_time.py`)
    if context.function.asynchronous is not None and not early_return and not _awaits(node.body):
        if not loops_on_threads(context):
            return None  # a coroutine switches only at `await`: with none in the window, the loop runs it whole
    return LazyInitSite(kind, check, creation, early_return=early_return, reread=reread)


def shared_kind(context: LintContext, check: LazyCheck) -> Optional[str]:
    """The kind of shared state a check tests (`LazyInitSite.kind`), None when it is not shared.

    Cheap questions first: most `if`s test locals, parameters or `self` attributes.
    """
    if check.keyed:
        if _is_module_global(context, check.state) or class_receiver(context, check.state):
            return "metaclass" if _in_metaclass(context) else "keyed"
        return None
    if _is_module_global(context, check.state):
        return "global"
    if class_receiver(context, check.state):
        return "metaclass" if _in_metaclass(context) else "class"
    if _is_closure_variable(context, check.state):
        return "closure"
    return "funcattr" if _is_function_attribute(context, check.state) else None


def unguarded_here(context: LintContext, window: cst.CSTNode) -> bool:
    """No lock held around the site (nor by every caller), not under `if __name__ == "__main__":`, and in a coroutine
    only when the window awaits (else the event loop runs it whole), or when loops run on several threads."""
    function = context.function
    if function is None or context.held_locks() or context.in_main_guard():
        return False
    if caller_held_lock(context, function) is not None:
        return False  # every in-module call holds one lock (`analysis.caller_locks`)
    return function.asynchronous is None or _awaits(window) or loops_on_threads(context)


def _in_metaclass(context: LintContext) -> bool:
    """In a metaclass's `__call__`: what it fills is the instance of a class (a singleton registry).
    Its other methods' `cls.x` is still shared class state, of the ordinary kinds."""
    function = context.function
    return (
        context.class_ is not None
        and function is not None
        and function.name.value == "__call__"
        and is_metaclass(context.class_, context.module)
    )


def _is_closure_variable(context: LintContext, name: str) -> bool:
    """`nonlocal inst` in the function, and an enclosing function binds `inst` (not as a
    parameter): every call of this closure (from any thread) shares it."""
    function = context.function
    if "." in name or function is None or name not in _nonlocals(context, function):
        return False
    for outer in reversed([n for n in context.ancestors[:-1] if isinstance(n, cst.FunctionDef) and n is not function]):
        if name in context.locals_of(outer):
            # a parameter of the factory (`def actor(broker=None): def decorator(fn): nonlocal broker`)
            # is the decorator-factory idiom, run once per decoration; a singleton starts as `inst = None`
            return name not in _parameters(outer)
    return False


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    names.update(star.name.value for star in (params.star_arg, params.star_kwarg) if isinstance(star, cst.Param))
    return names


def _is_function_attribute(context: LintContext, state: str) -> bool:
    """`get._inst` where `get` is a module-level function (not rebound locally): one attribute
    for every caller, a global in all but name."""
    head, _, attribute = state.partition(".")
    if not attribute or "." in attribute or context.function is None:
        return False
    # the module lookup first: the function's locals cost a walk of its body
    return isinstance(context.module_assignments.get(head), cst.FunctionDef) and head not in context.locals_of(context.function)


def _nonlocals(context: LintContext, function: cst.FunctionDef) -> set[str]:
    """`function_nonlocals`, memoised: asked for every `if` of the function, and each answer walks its body."""
    key = ("nonlocals", id(function))
    if key not in context.memo:
        context.memo[key] = function_nonlocals(function)
    return context.memo[key]  # type: ignore[return-value]


def _awaits(body: cst.CSTNode) -> bool:
    """An `await`, `async with` or `async for` in the body (not in a nested def)."""
    for node in walk_statements([body]):
        if isinstance(node, cst.Await) or getattr(node, "asynchronous", None) is not None and not isinstance(
            node, cst.FunctionDef
        ):
            return True
    return False


def _is_module_global(context: LintContext, name: str) -> bool:
    function = context.function
    return "." not in name and (
        (function is not None and name in context.globals_of(function))
        or (name in context.module_assignments and (function is None or name not in context.locals_of(function)))
    )


def _local_cache_check(context: LintContext, node: cst.If, check: LazyCheck) -> Optional[tuple[LazyCheck, cst.SimpleStatementLine]]:
    """`v = _cache.get(k)` ... `if v is None:`: the test is on the cache, through a local copy
    (or `v = getattr(R, "x", None)`: on the attribute `R.x`).

    The copy must be the latest binding of `v` in the same block, and nothing between
    the read and the `if` may mention `v` or any name the read uses (the re-read under
    the lock must ask the same question).
    """
    if check.keyed or not check.missing or "." in check.state:
        return None
    block = context.ancestors[-2] if len(context.ancestors) >= 2 else None
    if not isinstance(block, cst.IndentedBlock):
        return None
    index = next(i for i, stmt in enumerate(block.body) if stmt is node)
    between: list[cst.CSTNode] = []
    for stmt in reversed(block.body[:index]):
        read = cache_read(stmt)
        if read is not None and read[0] == check.state:
            used = {n.value for n in walk_statements([stmt.body[0].value]) if isinstance(n, cst.Name)}
            used.add(check.state)
            if any(isinstance(n, cst.Name) and n.value in used for n in walk_statements(between)):
                return None
            return LazyCheck(read[1], True, keyed=not reads_attribute(stmt)), stmt  # type: ignore[arg-type]
        between.append(stmt)
    return None


def _lock_in_body(context: LintContext, node: cst.If, creation: cst.CSTNode) -> Optional[cst.With]:
    """A `with <lock>:` inside the `if` body that contains the creation."""
    return lock_around(context, list(node.body.body), creation)


def lock_around(context: LintContext, stmts: list, creation: cst.CSTNode) -> Optional[cst.With]:
    """A `with <lock>:` among `stmts` (at any depth) that contains the creation."""
    for inner in walk_statements(stmts):
        if isinstance(inner, cst.With) and any(context.locks.is_lock(i.item) for i in inner.items):
            if any(n is creation for n in walk_statements([inner.body])):
                return inner
    return None


def _locked_recheck(context: LintContext, node: cst.If, check: LazyCheck, creation: cst.CSTNode) -> bool:
    """Inside the check, an `if` testing the same state again, around the creation and with a lock held at
    it that `with` does not show: `lock.acquire()` then `try: if _x is None: ... finally: lock.release()`.

    Walked with an explicit stack: a nested function that calls itself is a reference cycle
    (function, closure cell) that keeps the whole lint context alive until the collector runs."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(node.body, [node.body])]
    while stack:
        current, path = stack.pop()
        for child in current.children:
            if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            here = path + [child]
            if isinstance(child, cst.If) and (again := parse_lazy_check(child.test)) is not None:
                if again.state == check.state and any(n is creation for n in walk_statements([child.body])):
                    if context.locks.locks_held(list(context.ancestors) + here):
                        return True
            if isinstance(child, (cst.BaseSuite, cst.BaseCompoundStatement, cst.Else, cst.Finally, cst.ExceptHandler)):
                stack.append((child, here))
    return False


def _has_recheck(with_node: cst.With, check: LazyCheck, reread: Optional[cst.SimpleStatementLine] = None) -> bool:
    if reread is not None:
        return _has_local_recheck(with_node, reread)
    for inner in walk_statements([with_node.body]):
        if isinstance(inner, (cst.If, cst.While)):
            again = parse_lazy_check(inner.test)
            if again is not None and again.state == check.state:
                return True
    return False


def _has_local_recheck(with_node: cst.With, reread: cst.SimpleStatementLine) -> bool:
    """Under the lock, the copy is read again from the cache and then tested."""
    local, cache = cache_read(reread) or ("", "")
    seen_read = False
    for inner in walk_statements([with_node.body]):
        read = cache_read(inner)
        if read == (local, cache):
            seen_read = True
        elif seen_read and isinstance(inner, (cst.If, cst.While)):
            again = parse_lazy_check(inner.test)
            if again is not None and again.state == local:
                return True
    return False
