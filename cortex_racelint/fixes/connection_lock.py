"""CRL202's fix: the statements that use a shared connection go under the object's or module's lock.

From a function's first use of the connection to its last in the same block, so a
statement and its commit stay atomic; calls into methods that take the same lock stay
outside it (a plain `Lock` is not re-entrant). The lock comes from `locks`.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.self_attributes import self_attr
from ..analysis.shared_connections import own_walk
from ..analysis.sqlite_usage import walk
from ..ftypes import FixApplicability
from ..rule import Fix
from .blocks import with_lock
from .locks.connections import shared_connection_lock
from .locks.reentrancy import suspends


def connection_lock_fix(context: LintContext, class_node, uses, name: str, shared: set[str]):
    """CRL202's fix: the statements using `name` in one function, wrapped in its lock.

    `uses` are the unlocked uses (node, parents); `shared` the class's shared connection
    attributes. Returns `(Fix, None)`, or `(None, why not)`.
    """
    # the minimal statement (directly in an indented block) around each use
    statements: dict[int, tuple[cst.CSTNode, cst.IndentedBlock, tuple]] = {}
    for node, parents in uses:
        chain = (*parents, node)
        for position in range(len(chain) - 1, 0, -1):
            candidate, holder = chain[position], chain[position - 1]
            if isinstance(holder, cst.IndentedBlock) and isinstance(candidate, cst.BaseStatement):
                statements.setdefault(id(candidate), (candidate, holder, chain[:position]))
                break
        else:
            # `def put(self, k): self._conn.execute(...)`: no statement line to put under a lock
            return None, f"`{name}` is used in a one-line function body, which cannot hold a `with` block"
    # drop statements nested in another chosen statement
    chosen = {
        key: value
        for key, value in statements.items()
        if not any(id(p) in statements for p in value[2])
    }
    groups: dict[int, list] = {}
    for stmt, block, parents in chosen.values():
        groups.setdefault(id(block), [block, parents, []])[2].append(stmt)
    suspension = suspends([stmt for stmt, _, _ in chosen.values()])
    if suspension is not None:
        return None, f"a statement using `{name}` `{suspension}`s: the lock would stay held across it"
    reentrant = _lock_taking_methods(class_node, shared) if class_node is not None else set()
    runs: list[tuple[cst.IndentedBlock, list[cst.BaseStatement]]] = []
    spans: list[cst.CSTNode] = []
    for block, parents, stmts in sorted(groups.values(), key=lambda g: len(g[1])):
        if any(any(p is s for s in spans) for p in parents):
            continue  # inside a statement another run already wraps
        indices = sorted(i for i, s in enumerate(block.body) if any(s is t for t in stmts))
        current: list[cst.BaseStatement] = []
        for i in range(indices[0], indices[-1] + 1):
            stmt = block.body[i]
            calls = _calls_into(stmt, reentrant)
            if calls:
                if any(stmt is t for t in stmts):
                    return None, (
                        f"`{calls}` is called in a statement that uses the connection, and it takes the same "
                        "lock: a plain Lock would deadlock"
                    )
                if current:
                    runs.append((block, current))
                current = []
                continue
            current.append(stmt)
        if current:
            runs.append((block, current))
        spans.extend(s for s in block.body[indices[0] : indices[-1] + 1])
    runs = [(b, r) for b, r in runs if any(_uses_in(s, uses) for s in r)]
    lock, edits = shared_connection_lock(context, class_node, name)
    lock_text = context.module.code_for_node(lock)
    replacements: dict = {}
    for block, run in runs:
        first = run[0]
        index = next(i for i, s in enumerate(block.body) if s is first)
        previous = block.body[index - 1] if index else None
        if (
            isinstance(previous, cst.With)
            and len(previous.items) == 1
            and isinstance(previous.body, cst.IndentedBlock)
            and previous not in replacements
            and context.module.code_for_node(previous.items[0].item) == lock_text
        ):
            # right after a block holding the same lock: extend it instead of re-acquiring
            replacements[previous] = previous.with_changes(
                body=previous.body.with_changes(body=[*previous.body.body, *run])
            )
            for stmt in run:
                replacements[stmt] = cst.RemoveFromParent()
            continue
        body = [first.with_changes(leading_lines=[l for l in first.leading_lines if l.comment is not None]), *run[1:]]
        wrapped = with_lock(lock, body).with_changes(
            leading_lines=[l for l in first.leading_lines if l.comment is None]
        )
        replacements[first] = wrapped
        for other in run[1:]:
            replacements[other] = cst.RemoveFromParent()
    return Fix(f"Use `{name}` only while holding `{lock_text}`", replacements, edits, FixApplicability.UNSAFE), None


def _uses_in(stmt: cst.CSTNode, uses) -> bool:
    ids = {id(n) for n, _ in uses}
    return any(id(n) in ids for n, _ in walk(stmt))


def _lock_taking_methods(class_node: cst.ClassDef, shared: set[str]) -> set[str]:
    """Methods that use the shared connection (so take the lock after the fix), transitively."""
    methods = {
        s.name.value: s
        for s in (class_node.body.body if isinstance(class_node.body, cst.IndentedBlock) else ())
        if isinstance(s, cst.FunctionDef)
    }
    taking = {
        name
        for name, method in methods.items()
        if name not in ("__init__", "__new__", "__del__")
        and any(self_attr(n) in shared for n, _ in own_walk(method.body))
    }
    changed = True
    while changed:
        changed = False
        for name, method in methods.items():
            if name in taking:
                continue
            if _calls_into(method.body, taking):
                taking.add(name)
                changed = True
    return taking


def _calls_into(node: cst.CSTNode, methods: set[str]) -> Optional[str]:
    for inner, _ in own_walk(node):
        if isinstance(inner, cst.Call):
            attr = self_attr(inner.func)
            if attr in methods:
                return f"self.{attr}()"
    return None
