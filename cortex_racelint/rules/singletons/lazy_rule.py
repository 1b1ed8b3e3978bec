"""What CRL101/102/103/105 have in common: one visitor over classified sites, one race window.

Each of those rules only names its kind of site; the visit, the fix (double-checked locking
on the state's lock) and the free-threading note are the same for all four.
"""

from __future__ import annotations

import libcst as cst

from ...analysis.lazyinit import first_call
from ...fixes.double_checked_locking import lazy_init_fix
from ...fixes.locks.lazy_init import lazy_state_lock
from ...ftypes import GilExposure
from ...rule import Rule, WindowNodes
from .classification import lazy_init_site


class LazyInitRule(Rule):
    KIND = ""
    EVIDENCE = ("global",)

    def visit_If(self, node: cst.If) -> None:
        site = lazy_init_site(self.context, node)
        if site is None or site.kind != self.KIND:
            return
        lock, edits = lazy_state_lock(self.context, site.check.state)
        self.report(
            node,
            self.MESSAGE.format(state=site.check.state),
            fix=lazy_init_fix(self.context, node, site, lock, edits),
            window=lazy_window(node.test, site.creation),
        )


def lazy_window(check: cst.BaseExpression, creation: cst.CSTNode) -> WindowNodes:
    """Check to creation; the constructor call is where a thread switch under the GIL can split it."""
    hold = first_call(creation)
    exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
    return WindowNodes(check=check, act=creation, hold_call=hold, exposure=exposure)


FREE_THREADING_LAZY = """
    Under the GIL a thread switch happens only at a call or a backward jump, so the window
    between the check and the assignment is split only when the constructor (a call) lets
    another thread run: rare, but real when construction does I/O. On free-threaded builds
    (3.13t, 3.14t) both threads run the check truly in parallel and the race fires often.
"""
