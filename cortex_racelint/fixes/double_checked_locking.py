"""The lazy-init fix of CRL101/102/103/105: double-checked locking.

The fast path stays lock-free; under the lock the state is tested again (after re-reading a
local copy of a cache entry, which would otherwise test a stale value). CRL103's broken form
already takes the lock and gets only the missing re-check.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.lazy_sites import LazyInitSite, cache_read, returns_state
from ..analysis.lazyinit import parse_lazy_check
from ..analysis.names import dotted_name
from ..rule import Fix
from .blocks import block_statements, double_checked, recheck_inside, shifted, shifted_all, with_lock


def lazy_init_fix(context: LintContext, node: cst.If, site: LazyInitSite, lock: cst.BaseExpression, edits: list) -> Fix:
    """Double-checked locking for the plain and the early-return forms."""
    state = site.check.state
    message = f"Guard the lazy initialisation of `{state}` with double-checked locking"
    if not site.early_return:
        return Fix(message, {node: double_checked(node, lock, _reread(site))}, edits)
    block = context.ancestors[-2]
    assert isinstance(block, cst.IndentedBlock)
    index = next(i for i, stmt in enumerate(block.body) if stmt is node)
    rest = list(block.body[index + 1 :])
    tail = [rest.pop()] if rest and returns_state(rest[-1], state, site.check.alias) and len(rest) > 1 else []
    hoisted = _leading_plain_defs(rest)
    rest = rest[len(hoisted) :]
    leading = rest[0].leading_lines if rest else ()
    rest[0] = rest[0].with_changes(leading_lines=())
    guarded = cst.If(test=missing_test(node.test), body=cst.IndentedBlock(body=rest))
    wrapped = with_lock(lock, [guarded]).with_changes(leading_lines=leading)
    new_block = block.with_changes(body=[*block.body[: index + 1], *hoisted, wrapped, *tail])
    return Fix(message, {block: new_block}, edits)


def _leading_plain_defs(rest: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The nested `def`s that open `rest`, when defining them runs no code: no decorator, and no
    call in a default or an annotation. They stay before the lock, unindented: binding a local
    function has no effect another thread can see, and the diff does not re-indent its body
    (werkzeug's `get_machine_id` defines a 70-line `_generate()` before `_machine_id = _generate()`).
    At least one statement is left to guard."""
    hoisted: list[cst.BaseStatement] = []
    for stmt in rest[:-1]:
        if not isinstance(stmt, cst.FunctionDef) or stmt.decorators or stmt.asynchronous is not None:
            break
        evaluated = [p.default for p in _all_params(stmt.params) if p.default is not None]
        evaluated += [p.annotation for p in _all_params(stmt.params) if p.annotation is not None]
        if stmt.returns is not None:
            evaluated.append(stmt.returns)
        if any(isinstance(n, (cst.Call, cst.Await, cst.NamedExpr)) for e in evaluated for n in _nodes(e)):
            break
        hoisted.append(stmt)
    return hoisted


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    stars = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return [*params.posonly_params, *params.params, *params.kwonly_params, *stars]


def eafp_fix(site: LazyInitSite, lock: cst.BaseExpression, edits: list) -> Fix:
    """`except KeyError: B` -> `except KeyError: with lock: try: <the read again> except KeyError: B`.

    The read is repeated under the lock, so a thread that lost the race takes the value the winner
    stored (and returns it, or binds it and goes on after the `try`, as a successful read does).
    Alone, the read fails again as it just did, and `B` runs as before.
    """
    handler, probe = site.handler, site.probe
    assert handler is not None and probe is not None and isinstance(handler.body, cst.IndentedBlock)
    body = list(handler.body.body)
    leading = body[0].leading_lines
    body[0] = body[0].with_changes(leading_lines=())
    inner = cst.Try(
        body=cst.IndentedBlock(body=[probe.deep_clone().with_changes(leading_lines=())]),
        handlers=[handler.with_changes(body=cst.IndentedBlock(body=shifted_all(body, 2)), leading_lines=())],
    )
    wrapped = with_lock(lock, [inner]).with_changes(leading_lines=leading)
    new_handler = handler.with_changes(body=handler.body.with_changes(body=[wrapped]))
    return Fix(f"Guard the fill of `{site.check.state}` with a lock and read it again under it", {handler: new_handler}, edits)


def assign_fix(node: cst.SimpleStatementLine, site: LazyInitSite, lock: cst.BaseExpression, edits: list) -> Fix:
    """`_x = _x or X()` -> `if not _x: with lock: if not _x: _x = X()`: the same double-checked
    locking; alone it assigns what the line assigned (the global to itself when it exists: nothing)."""
    assert site.missing_test is not None
    line = cst.SimpleStatementLine(body=[site.creation], trailing_whitespace=node.trailing_whitespace)  # type: ignore[list-item]
    plain = cst.If(test=site.missing_test, body=cst.IndentedBlock(body=[line]))
    fixed = double_checked(plain, lock).with_changes(leading_lines=node.leading_lines)
    return Fix(f"Guard the lazy initialisation of `{site.check.state}` with double-checked locking", {node: fixed}, edits)


def match_fix(node: cst.Match, site: LazyInitSite, lock: cst.BaseExpression, edits: list) -> Fix:
    """`case None: B` -> `case None: with lock: <the whole match again>`.

    Under the lock the subject is matched again: still `None`, `B` runs (alone, always); set by
    another thread, the case that fits the value it set runs, as it would have without the race.
    """
    case = site.case
    assert case is not None and isinstance(case.body, cst.IndentedBlock)
    again = shifted(node.deep_clone().with_changes(leading_lines=()), 2)
    new_case = case.with_changes(body=case.body.with_changes(body=[with_lock(lock, [again])]))
    cases = [new_case if c is case else c for c in node.cases]
    return Fix(f"Guard the lazy initialisation of `{site.check.state}` with a lock and match it again under it", {node: node.with_changes(cases=cases)}, edits)


def guarded_statements(context: LintContext, node: cst.CSTNode, site: LazyInitSite) -> list[cst.CSTNode]:
    """The statements the lock will hold: the `if` body (and its `else:`/`elif` branches, which the
    re-check repeats), or what follows an early return; an EAFP cache's read and `except` body; a
    `match`'s every case (the whole match runs again under the lock)."""
    if site.handler is not None and site.probe is not None:
        return [site.probe, *block_statements(site.handler.body)[0]]
    if site.case is not None:
        return [node]
    if site.missing_test is not None:
        return [site.creation]
    assert isinstance(node, cst.If)
    if not site.early_return:
        held: list[cst.CSTNode] = list(block_statements(node.body)[0])
        branch = node.orelse
        while branch is not None:
            held.extend(block_statements(branch.body)[0])
            if isinstance(branch, cst.If):
                held.append(branch.test)  # type: ignore[arg-type]
            branch = branch.orelse if isinstance(branch, cst.If) else None
        return held
    block = context.ancestors[-2]
    assert isinstance(block, cst.IndentedBlock)
    index = next(i for i, stmt in enumerate(block.body) if stmt is node)
    return list(block.body[index + 1 :])


def recheck_fix(node: cst.If, site: LazyInitSite) -> Fix:
    """Broken double-checked locking: repeat the check inside the `with` the site already takes."""
    assert site.lock_with is not None
    fixed = _reread_before_recheck(site) or recheck_inside(site.lock_with, node.test, _reread(site))
    return Fix(f"Re-check `{site.check.state}` inside the lock", {site.lock_with: fixed})


def missing_test(test: cst.BaseExpression) -> cst.BaseExpression:
    """The negation of a presence test, spelt the way people write it."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        flipped = {cst.IsNot: cst.Is(), cst.NotEqual: cst.Equal(), cst.In: cst.NotIn()}.get(type(target.operator))
        if flipped is not None:
            return test.with_changes(comparisons=[target.with_changes(operator=flipped)]).deep_clone()
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression.deep_clone()
    return cst.UnaryOperation(operator=cst.Not(), expression=test.deep_clone())


def _reread_before_recheck(site: LazyInitSite) -> Optional[cst.With]:
    """`with lock: if v is None: ...` re-tests a stale copy: read it again first (no second `if`)."""
    with_node = site.lock_with
    if site.reread is None or with_node is None or not isinstance(with_node.body, cst.IndentedBlock):
        return None
    local = cache_read(site.reread)
    first = with_node.body.body[0] if with_node.body.body else None
    again = parse_lazy_check(first.test) if isinstance(first, cst.If) else None
    if local is None or first is None or again is None or again.state != local[0]:
        return None
    reread = _reread(site)
    reread[0] = reread[0].with_changes(leading_lines=first.leading_lines)
    body = [*reread, first.with_changes(leading_lines=()), *with_node.body.body[1:]]
    return with_node.with_changes(body=with_node.body.with_changes(body=body))


def _reread(site: LazyInitSite) -> list[cst.BaseStatement]:
    """The local copy's read, to repeat under the lock (without its comment, which stays where it was)."""
    if site.reread is None:
        return []
    return [cst.SimpleStatementLine(body=[site.reread.body[0].deep_clone()])]



def published_half_built(statements: list[cst.CSTNode], state: str) -> Optional[str]:
    """The first statement that sets up `state`'s object after it is assigned (`G = make()` then
    `G.load(...)`, `G.mode = ...`, `G[k] = ...`), as code; None when the object is complete when published.

    Double-checked locking leaves the fast path lock-free: a thread there returns the object as
    soon as it is assigned, before the statements that finish it ran (Pyro5's SSL context, its
    certificate loaded after the assignment). Locking cannot repair that; publishing last can.
    """
    assigned = False
    for stmt in statements:
        if assigned:
            found = _sets_up(stmt, state)
            if found is not None:
                return found
        elif any(isinstance(n, (cst.Assign, cst.AnnAssign)) and _assigns(n, state) for n in _nodes(stmt)):
            assigned = True
    return None


def _nodes(node: cst.CSTNode):
    """Every node of `node`, not entering nested defs, classes or lambdas (they run later)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in current.children:
            if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.append(child)


def _assigns(node: cst.CSTNode, state: str) -> bool:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]  # type: ignore[attr-defined]
    return any(dotted_name(t) == state for t in targets)


def _sets_up(stmt: cst.CSTNode, state: str) -> Optional[str]:
    for node in _nodes(stmt):
        receiver = None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            receiver = node.func.value
        elif isinstance(node, (cst.Assign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if isinstance(target, (cst.Attribute, cst.Subscript)):
                    receiver = target.value
        if receiver is not None and _rooted(receiver, state):
            return cst.Module(body=[]).code_for_node(node).splitlines()[0].strip()
    return None


def _rooted(expr: cst.BaseExpression, state: str) -> bool:
    """`state` itself or a part of it (`G`, `G.headers`): changing it changes the published object."""
    name = dotted_name(expr) or ""
    return name == state or name.startswith(state + ".")
