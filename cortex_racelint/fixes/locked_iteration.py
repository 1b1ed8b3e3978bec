"""CRL405's fix form for a walk that is not a plain loop: the lock held across it.

`json.dump(self.data, f)`, `copy.deepcopy(self.data)`, `pickle.dump(...)`, a comprehension
next to I/O: the statement (or the file `with` around it) goes under the object's lock, so
the changes, locked by their own fixes, wait until the walk ends. A `for` loop gets the
snapshot form instead (`fixes.read_under_lock.snapshot_iteration`): its body runs unlocked.
Whether the lock may be held there is `fixes.locks.iteration`'s decision.
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from ..analysis.threads import Access
from .blocks import wrap_statements
from .field_planner import FieldPlanner, Plan
from .locks.iteration import iteration_lock_reason, iteration_span


class IterationUnderLock(FieldPlanner):
    def hold_across_iteration(self, access: Access, stmt: cst.CSTNode) -> Union[Plan, str]:
        """`with lock:` around the statement walking `self.<attr>` (or its file `with`)."""
        span = iteration_span(access.path, stmt)
        region = self.threads.regions[access.region]
        reason = iteration_lock_reason(
            self.context, span, region.self_name, frozenset(self.threads.methods) | self.threads.properties, access.attr
        )
        if reason is not None:
            return reason
        if self.block_of(access, span) is None:
            return f"`self.{access.attr}` is walked in a one-line or `elif` construct that cannot be wrapped"
        lock = self.lock_for(access)
        lock_text = self.context.module.code_for_node(lock)
        return Plan(
            f"Hold `{lock_text}` across the walk over `self.{access.attr}`", {span: wrap_statements(lock, [span])}, lock
        )
