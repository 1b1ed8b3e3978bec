"""A guard statement and the statements after it that use the field it tests read it once.

`assert self.loop is not None` then `self.loop.call_soon_threadsafe(cb)` (zeroconf), or
`if self.sock is None: return` then `self.sock.send(data)`: locked one statement at a time,
the guard reads the field under one `with` and the use under a second, and may see two
different values, the use meeting the `None` the guard excluded. Here the copy is taken once,
under the lock, before the guard; the guard tests the copy and the later statements of the
block use it, up to a wait, a write of the field or a call of a method writing it (the reads
`HeaderCopies.served_reads` accepts). Every site of the run gets this one plan.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_writes import walk_all
from ..analysis.threads import READ, Access
from .blocks import replace_in, wrap_statements
from .field_planner import Plan, within
from .local_copies import copy_field
from .test_and_use import HeaderCopies

_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def _guard_test(stmt: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The test of a guard: `assert <test>`, or `if <test>:` whose body leaves (no `else`)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assert):
        return stmt.body[0].test
    if not isinstance(stmt, cst.If) or stmt.orelse is not None:
        return None
    last: Optional[cst.CSTNode] = None
    if isinstance(stmt.body, cst.SimpleStatementSuite):
        last = stmt.body.body[-1]
    elif stmt.body.body and isinstance(stmt.body.body[-1], cst.SimpleStatementLine):
        last = stmt.body.body[-1].body[-1]
    return stmt.test if isinstance(last, _EXITS) else None


class GuardCopies(HeaderCopies):
    def guard_plan(self, access: Access) -> Optional[Plan]:
        """The one plan of a guard on `self.<attr>` and the uses after it that `access` is part of."""
        if access.kind != READ:
            return None
        path = access.path
        block_index = next(
            (i for i in range(len(path) - 2, 0, -1) if isinstance(path[i], cst.IndentedBlock)), None
        )
        if block_index is None:
            return None
        block = path[block_index]
        stmt = path[block_index + 1]
        statements = list(block.body)  # type: ignore[attr-defined]
        position = next((i for i, s in enumerate(statements) if s is stmt), None)
        if position is None:
            return None
        for index in range(position, -1, -1):
            test = _guard_test(statements[index])
            if test is None:
                continue
            tests = self._reads_in(access, test)
            if not tests:
                continue
            return self._plan_from(access, statements, index, test, tests)
        return None

    def _reads_in(self, access: Access, node: cst.CSTNode) -> list[Access]:
        return [
            other
            for other in self.threads.accesses
            if other.region == access.region and other.attr == access.attr and within(other.path, node)
        ]

    def _plan_from(
        self, access: Access, statements: list, index: int, test: cst.CSTNode, tests: list[Access]
    ) -> Optional[Plan]:
        if any(t.kind != READ for t in tests):
            return None
        guard = statements[index]
        region = self.threads.regions[access.region]
        local = self.local_name(access.attr, access, set())
        served = self.served_reads(access, statements[index + 1 :], {access.attr: local})
        if not served:
            return None
        users = [s for s in statements[index + 1 :] if any(within_node(n, s) for n in served)]
        if all(self.cheap(s, access) for s in [guard, *users]):
            return None  # locked as one critical section already (consecutive cheap statements)
        in_guard = within(access.path, test)
        if not in_guard and not any(node is access.node for node in served):
            return None  # a read after a wait or a write: not this run's
        lock = self.lock_for(access)
        swap = {t.node: cst.Name(local, lpar=t.node.lpar, rpar=t.node.rpar) for t in tests}  # type: ignore[attr-defined]
        new_guard = replace_in(guard, swap).with_changes(leading_lines=())
        copy = wrap_statements(lock, [copy_field(local, region.self_name, access.attr)])
        replacements: dict = {guard: cst.FlattenSentinel([copy.with_changes(leading_lines=guard.leading_lines), new_guard])}
        for later in users:
            replacements[later] = replace_in(later, {old: new for old, new in served.items() if within_node(old, later)})
        lock_text = self.context.module.code_for_node(lock)
        return Plan(
            f"Copy `self.{access.attr}` into `{local}` under `{lock_text}` once, before the check that tests it; "
            "the check and the uses after it read the copy",
            replacements,
            lock,
        )



def within_node(node: cst.CSTNode, stmt: cst.CSTNode) -> bool:
    """`node` is `stmt` or one of its descendants."""
    return any(n is node for n in walk_all(stmt))
