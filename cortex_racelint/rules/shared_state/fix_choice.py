"""Which fix form a racing access gets, from where it stands, or why it gets none.

The forms themselves are built in `fixes.critical_section` and `fixes.read_under_lock`;
this decides between them (a polling loop, a statement cheap enough to lock, a read next
to I/O, a store of a slow value) and words the no-fix reasons.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import libcst as cst

from ...analysis.cheap_calls import is_consumer
from ...analysis.threads import ITERATE, READ, Access
from ...fixes.critical_section import CriticalSections
from ...fixes.field_planner import Plan, within
from ...fixes.locked_iteration import IterationUnderLock
from ...fixes.locks.accessor_rmw import accessor_rmw_reason
from ...fixes.locks.lock_reuse import (
    existing_lock_reason,
    framework_lock_reason,
    server_state_reason,
    signal_handler_reason,
)
from ...fixes.locks.shared_fields import held_lock_conflict, held_lock_reason, mutex_edits, wrapper_partner_reason
from ...fixes.read_under_lock import ReadsUnderLock, header_of
from .iteration_race import alias_walk_reason


class SharedStatePlanner(CriticalSections, ReadsUnderLock, IterationUnderLock):
    """Plans one fix per finding of a class; each touches only its own statements."""

    def plan(self, access: Access) -> Union[Plan, str]:
        """The fix of `access`, or why there is none; an existing lock it would take is checked first."""
        aliased = alias_walk_reason(self.threads, access)
        if aliased is not None:
            return aliased
        plan = self._plan(access)
        if isinstance(plan, Plan) and not mutex_edits(plan.lock, *self.lock_edits()):
            reason = self._existing_lock_conflict(access, plan.lock)
            if reason is None and access.accessor:
                accessors = self.threads.methods.get(access.attr, [])
                reason = accessor_rmw_reason(self.context, self.class_node, access.attr, accessors, plan.lock)
            if reason is not None:
                return reason
        return plan

    def _existing_lock_conflict(self, access: Access, lock: cst.BaseExpression) -> Optional[str]:
        """`held_lock_conflict` for the object's existing lock and the access's function (memoised)."""
        if not isinstance(lock, cst.Attribute):
            return None
        site = self.threads.regions[access.region].function
        key = ("held_lock_conflict", id(self.class_node), lock.attr.value, id(site))
        memo = self.context.memo
        if key not in memo:
            memo[key] = held_lock_conflict(self.context, self.class_node, lock.attr.value, site)
        return memo[key]  # type: ignore[return-value]

    def _plan(self, access: Access) -> Union[Plan, str]:
        if access.locks:
            partner = next((c for c in self.threads.conflicts(access) if c.other.locks), None)
            where = (self.threads.label(partner.other, partner.there), partner.other.locks) if partner else None
            return held_lock_reason(access.attr, access.locks, where)
        wrapped = wrapper_partner_reason(
            access.attr, [(self.threads.label(c.other, c.there), c.other.locks) for c in self.threads.conflicts(access)]
        )
        if wrapped is not None:
            return wrapped
        path = access.path
        for node in path[1:-1]:
            if isinstance(node, cst.Lambda):
                return "the access is inside a lambda, which may run later on any thread: move it out by hand"
        region = self.threads.regions[access.region]
        if access.attr.startswith("server."):
            outside = server_state_reason(self.context.module, self.class_node, access.attr.split(".", 1)[1])
            if outside is not None:
                return outside
        reuse = self._reused_lock_reason(access)
        if reuse is not None:
            return reuse
        if "." in access.attr:
            return self._plan_whole_statement(access)
        if access.check is not None:
            if isinstance(access.check, cst.While):
                return f"the loop changes `self.{access.attr}`, which its condition reads: restructure it by hand"
            return self.wrap_unit(access, access.check, "check-then-act")
        stmt = _statement(path)
        if stmt is None:
            return "no statement to put under a lock"
        if isinstance(stmt, cst.While) and within(path, stmt.test):
            return self.loop_rewrite(access, stmt)
        loop = self.enclosing_loop(access)
        if loop is not None:
            plan = self.loop_rewrite(access, loop)
            if isinstance(plan, Plan) and access.attr in self.localised(loop, region.self_name, access.region):
                return plan
        if _in_lazy_generator(access):
            return "the access is inside a generator expression that runs later: the lock would not cover it"
        tested = self.testing_header(access)
        if tested is not None:  # `if self.s: self.s.flush()`: test and use read the field once
            return self._plan_of_test(access, tested[0])
        guarded = self.guard_plan(access)  # `assert self.s is not None` / `self.s.send()`: one copy for both
        if guarded is not None:
            return guarded
        if isinstance(stmt, cst.SimpleStatementLine):
            if self.cheap(stmt, access):
                return self.wrap_unit(access, stmt, "statement")
            if access.kind == ITERATE:  # `json.dump(self.d, f)`: a copy of the reference would not help
                return self.hold_across_iteration(access, stmt)
            return self._hoist_or_precompute(access, stmt)
        # a compound statement whose header reads the attribute
        if any(other.check is stmt for other in self.threads.accesses):
            return self.wrap_unit(access, stmt, "check-then-act")  # the body changes what it tests
        if self.cheap(stmt, access):
            return self.wrap_unit(access, stmt, "statement")
        if isinstance(stmt, cst.For) and within(path, stmt.iter):
            return self.snapshot_iteration(access, stmt)
        if isinstance(stmt, cst.If) or (isinstance(stmt, cst.With) and len(stmt.items) == 1):
            return self._hoist_or_precompute(access, stmt)
        return f"`self.{access.attr}` is used in the header of a `{type(stmt).__name__.lower()}` that cannot be split"

    def _plan_of_test(self, access: Access, test: Access) -> Union[Plan, str]:
        """A use of a field its enclosing `if`/`with` header tests gets the test's fix, which covers it,
        or the test's reason for having none: a copy for the use alone would not make the two agree
        (and with the same reason the use stays one site of the test's finding)."""
        return self.plan(test)

    def _plan_whole_statement(self, access: Access) -> Union[Plan, str]:
        """State reached through the class or the server (`type(self).n`, `self.server.x`: a request
        handler's, `analysis.per_call_state`): only whole cheap statements go under the lock; the
        forms that copy fields into locals spell `self.<attr>` and do not apply."""
        spelt = f"`self.{access.attr}`"
        if access.check is not None and not isinstance(access.check, cst.While):
            return self.wrap_unit(access, access.check, "check-then-act")
        stmt = _statement(access.path)
        if stmt is None or isinstance(stmt, cst.While) or access.check is not None:
            return f"{spelt} is read by a loop condition: only whole statements are locked for state shared across requests; restructure it by hand"
        if _in_lazy_generator(access):
            return "the access is inside a generator expression that runs later: the lock would not cover it"
        if isinstance(stmt, (cst.SimpleStatementLine, cst.If)) and self.cheap(stmt, access):
            return self.wrap_unit(access, stmt, "statement")
        return (
            f"the statement using {spelt} also makes a call that must not run under the lock "
            "(I/O, a wait, or a call back into the object): split it by hand"
        )

    def _reused_lock_reason(self, access: Access) -> Optional[str]:
        """No plain lock in a signal handler; an existing lock is reused only where it exists and
        no callback runs under it."""
        region = self.threads.regions[access.region]
        interrupt = signal_handler_reason(region.function)
        if interrupt is not None:
            return interrupt
        lock = self.lock_for(access)
        mutex, edits = self.lock_edits()
        if not isinstance(lock, cst.Attribute):
            return None
        if edits and isinstance(mutex, cst.Attribute) and lock.attr.value == mutex.attr.value:
            return None  # the fix creates this lock itself
        held = {spec.holds for spec in (e.spec for e in self.threads.entries.values()) if spec is not None}
        if f"self.{lock.attr.value}" in held:
            bases = [self.context.imports.qualify(b.value) or "" for b in self.class_node.bases]
            reason = framework_lock_reason(lock.attr.value, self.threads.methods, bases)
            if reason is not None:
                return reason
        return existing_lock_reason(
            lock.attr.value, access.path, region.function, region.self_name, self.threads.methods
        )

    def _hoist_or_precompute(self, access: Access, stmt: cst.CSTNode) -> Union[Plan, str]:
        """A statement that must keep a call outside the lock: copy its reads first, or compute its value first."""
        header = header_of(stmt)
        scope = header if header is not None else stmt
        kinds = {a.kind for a in self.threads.accesses if a.attr in self.racy_attrs and within(a.path, scope)}
        block = self.block_of(access, stmt)
        if block is None:
            return f"`self.{access.attr}` is used in a one-line or `elif` construct that cannot be split"
        lock = self.lock_for(access)
        if kinds <= {READ}:
            return self.copy_reads(access, stmt, header, lock)
        plan = self.precompute(access, stmt, lock)
        if plan is not None:
            return plan
        return (
            f"the statement that changes `self.{access.attr}` also makes a call that must not run under the lock "
            "(I/O, a wait, or a call back into the object): split it by hand"
        )


def _statement(path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    """The statement holding the end of `path`: its line, or the compound statement it is in."""
    for index in range(len(path) - 2, -1, -1):
        node = path[index]
        if isinstance(node, cst.SimpleStatementLine):
            return node
        if isinstance(node, cst.SimpleStatementSuite):
            return path[index - 1]
        if isinstance(node, cst.BaseCompoundStatement):
            return node
    return None


def _in_lazy_generator(access: Access) -> bool:
    """Inside a generator expression nothing consumes on the spot: it runs later, outside any lock."""
    path = access.path
    for index in range(len(path) - 2, 0, -1):
        node = path[index]
        if isinstance(node, cst.GeneratorExp):
            parent = path[index - 1]
            grand = path[index - 2] if index >= 2 else None
            consumed = isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and is_consumer(grand)
            if not consumed:
                return True
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return False
    return False
