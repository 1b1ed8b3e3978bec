"""What CRL101/102/103/105 have in common: one visitor over classified sites, one race window.

Each of those rules only names its kind of site; the visit, the fix (double-checked locking
on the state's lock) and the free-threading note are the same for all four.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.lazy_harm import OPT_IN_KINDS, lazy_consequence
from ...analysis.lazy_sites import LazyInitSite
from ...analysis.lazyinit import first_call
from ...fixes.double_checked_locking import (
    assign_fix,
    eafp_fix,
    guarded_statements,
    lazy_init_fix,
    match_fix,
    published_half_built,
)
from ...fixes.locks.lazy_init import lazy_state_lock
from ...ftypes import Consequence, GilExposure
from ...rule import Rule, WindowNodes
from .classification import lazy_init_site
from .statement_sites import lazy_assign_site, lazy_match_site, lazy_try_site


class LazyInitRule(Rule):
    KIND = ""
    #: the other kinds of site this rule reports (`classification`), and their messages when not MESSAGE
    ALSO_KINDS: tuple[str, ...] = ()
    KIND_MESSAGES: dict[str, str] = {}
    CONSEQUENCES = """
        Decided per site by what the creation makes and does (`analysis/lazy_harm.py`), because
        the window is the same everywhere but the damage is not:
        - duplicate resource, high: an executor, thread, timer, lock, queue, socket, connection,
          session, file, process or event loop (or a class of the module whose constructor makes
          one) is created twice; one is left running or unused, and two callers hold different ones;
        - repeated side effect, high: what runs with the creation (a logging handler added, a
          callback registered, a thread started, a file written, a command run) runs twice;
        - lost update, medium: a new container that the module then changes in place; what one
          caller adds to the discarded copy is lost;
        - duplicate object, medium: any other object (including calls into other modules that are
          not known to be pure): state kept on the discarded one is lost, identity checks fail;
        - equal value recomputed, low: a constant, a string, a compiled regex, a version lookup, a
          container nothing changes (parsed JSON included), a warning or log line shown twice, a
          `NamedTuple`/`Enum`/frozen dataclass of the module, or what a helper's immutable return annotation
          promises (`-> bool`, `-> str | None`);
        - object bound to one thread, low: a GUI toolkit object (Qt, Tk, wx, GTK), or an event loop
          the module runs on the calling thread (`run_until_complete`) and hands no work from
          another thread: only that thread reaches the check, and a lock would not change that;
        - entry point run once, low: the function parses `sys.argv` (`parse_args()`).
        The last three are not reported by CRL101, CRL102 or CRL105 but by the opt-in CRL107.
    """
    EVIDENCE = ("global",)

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The sites, and every def or class the lock choice may read (`fixes.locks.reentrancy`:
        what the creation can call, and who holds a lock around a call): `lazy_lock_scope`."""
        return facts.where("lazy_lock_scope")

    #: "harmful": sites whose race has a consequence; "harmless": sites that only recompute an equal value
    REPORTS = "harmful"

    def visit_If(self, node: cst.If) -> None:
        self._site(node, lazy_init_site(self.context, node), node.test)

    def visit_Try(self, node: cst.Try) -> None:
        site = lazy_try_site(self.context, node)
        self._site(node, site, site.probe.body[0].value if site is not None and site.probe is not None else node)  # type: ignore[attr-defined]

    def visit_Match(self, node: cst.Match) -> None:
        self._site(node, lazy_match_site(self.context, node), node.subject)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        site = lazy_assign_site(self.context, node)
        self._site(node, site, site.made_in.value if site is not None and site.made_in is not None else node)

    def _site(self, node: cst.CSTNode, site: Optional[LazyInitSite], check: cst.CSTNode) -> None:
        if site is None or not self.covers(site.kind):
            return
        consequence = site_consequence(self.context, node, site)
        harmless = consequence.kind in OPT_IN_KINDS
        if harmless != (self.REPORTS == "harmless"):
            return
        guarded = guarded_statements(self.context, node, site)
        choice = lazy_state_lock(self.context, site.check.state, guarded, site.kind)
        fix, no_fix_reason = None, choice.no_fix_reason
        half_built = published_half_built(guarded, site.check.state) if choice.lock is not None else None
        if half_built is not None:
            no_fix_reason = (
                f"`{site.check.state}` is assigned before it is set up (`{half_built}` runs after): the lock-free "
                "fast path of double-checked locking would hand other threads the half-built object; build it "
                f"in a local and assign `{site.check.state}` last, then lock"
            )
        elif choice.lock is not None:
            if site.handler is not None:
                fix = eafp_fix(site, choice.lock, choice.edits)
            elif isinstance(node, cst.SimpleStatementLine):
                fix = assign_fix(node, site, choice.lock, choice.edits)
            elif isinstance(node, cst.Match):
                fix = match_fix(node, site, choice.lock, choice.edits)
            else:
                assert isinstance(node, cst.If)
                fix = lazy_init_fix(self.context, node, site, choice.lock, choice.edits)
        message = self.KIND_MESSAGES.get(site.kind, self.MESSAGE).format(state=site.check.state)
        if site.handler is not None:
            message += " (an EAFP cache: the failed read is the check)"
        self.report(
            node,
            message,
            fix=fix,
            no_fix_reason=no_fix_reason,
            window=lazy_window(check, site.made_in or site.creation),
            consequence=consequence,
        )

    def covers(self, kind: str) -> bool:
        return kind == self.KIND or kind in self.ALSO_KINDS


def site_consequence(context: LintContext, node: cst.CSTNode, site: LazyInitSite) -> Consequence:
    """What this site's race costs; the `if` body is the creation's surroundings (its other calls run twice too)."""
    body = site.creating_block(node)
    return lazy_consequence(context, site.creation, body, site.check.state, site.check.keyed)


def lazy_window(check: cst.CSTNode, creation: cst.CSTNode) -> WindowNodes:
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

#: appended to the WHAT of CRL101/102/105/107 (indented as their sections are)
CALLER_HELD = """
        Not reported: a check inside a function (or method) that the module only ever calls
        while holding one lock, the `_locked` helper shape (`with _lock: _ensure_pool()`). Every
        call the module's call graph resolves must hold the same lock (`with`, `acquire()` ...
        `release()`, or `if lock is not None: lock.acquire()`; or come from a helper that itself
        runs only under it), that lock must be one object for
        every caller (a module global or a class attribute, not an instance's `self._lock`:
        two objects would hold two locks around one shared value), and the module must use the
        function no other way (no thread target, callback or stored reference, no call from
        module level or from a nested function or lambda, no decorator but `classmethod` /
        `staticmethod`). That is the whole model for a private function (`_name`, not expected to
        be called from other modules). A public method qualifies only when every call comes from
        its own class hierarchy holding a lock of that hierarchy, so the class keeps the protocol
        (tqdm's `create_mp_lock`, a public classmethod called from `__init__` under the class
        lock); a public module function is an accessor other modules call without the lock, so
        it is reported whatever its in-module callers hold. Callers in other modules are not seen.
"""

#: appended to the WHAT of CRL101/107 (a module global's accessor; indented as their sections are)
IMPORT_TIME = """
        Not reported either: a module function's global whose first call runs at import time, a
        top-level statement that always runs (`recorder = get_recorder()`, not under an `if`,
        `try`, loop, lambda or def) in the function's own module or, in a project run, in any
        module of the project (botocore's `get_global_history_recorder()`, called at import of
        `botocore.client`): module code runs once, under the import lock, so the global exists
        before any thread can call the accessor. Only while no other function of the module
        assigns the global (a `reset()` re-opens the window). Missed: a thread that calls the
        accessor before any module calling it at import is imported. A file linted alone sees
        only its own module's calls.
"""

#: appended to the FIX_SAFETY of CRL101/102/105 (indented as their sections are)
LOCK_CHOICE = """
        The lock is held while the value is created, so the fix looks at what the creation can run
        (the module's own functions, methods, constructors, through `self.`/`cls.`/`super()`):
        if that can take the same lock again (memoised recursion, a factory reading another key,
        a subclass constructor calling the base accessor, a caller holding the lock around the
        accessor), the new lock is a `threading.RLock`; an existing plain `Lock` that would be taken
        twice is left alone and no fix is offered. No fix either when the creation `await`s or
        `yield`s (a threading lock must not be held across either), or takes another lazy lock whose
        holder can come back (two threads taking them in opposite orders deadlock). Calls into other
        modules are not followed. A check with an `else:` (or `elif`) gets it on the re-check too:
        a thread that loses the race takes the branch it takes when the value exists, so what that
        branch binds is bound (zeroconf's `else: logger = log.debug`); that branch then runs under
        the lock.
"""
