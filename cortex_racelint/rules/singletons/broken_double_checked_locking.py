"""CRL103: double-checked locking that takes the lock but does not test again under it."""

from __future__ import annotations

import libcst as cst

from ...fixes.double_checked_locking import recheck_fix
from ...rule import Invalid, Valid
from .classification import lazy_init_site
from .lazy_rule import FREE_THREADING_LAZY, LazyInitRule, lazy_window, site_consequence


class BrokenDoubleCheckedLocking(LazyInitRule):
    CODE = "CRL103"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_under_lock

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("lazy_under_lock")

    NAME = "broken-double-checked-locking"
    KIND = "broken-dcl"
    EVIDENCE = ("with",)  # the lock taken after the check
    MESSAGE = "Double-checked locking on `{state}` does not re-check under the lock: a second thread still re-creates it"
    WHAT = """
        Finds `if x is None: with lock: x = X()`: the lock is taken after the check, but the
        check is not repeated inside it.
    """
    WHY = """
        Two threads pass the unlocked check, then take the lock one after the other; each
        assigns a new object, so the first caller's instance is silently replaced.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = "Safe. The check is repeated inside the `with` block (the missing half of the pattern)."

    def visit_If(self, node: cst.If) -> None:
        site = lazy_init_site(self.context, node)
        if site is None or site.kind != self.KIND or site.lock_with is None:
            return
        self.report(
            node,
            self.MESSAGE.format(state=site.check.state),
            fix=recheck_fix(node, site),
            window=lazy_window(node.test, site.creation),
            consequence=site_consequence(self.context, node, site),  # reported even when harmless: a lock was meant
        )

    VALID = [
        Valid(
            """
            import threading
            _memory = None
            _memory_lock = threading.Lock()

            def get_memory():
                global _memory
                if _memory is None:
                    with _memory_lock:
                        if _memory is None:
                            _memory = Memory()
                return _memory
            """
        )
    ]
    INVALID = [
        Invalid(
            """
            import threading
            _memory = None
            _memory_lock = threading.Lock()

            def get_memory():
                global _memory
                if _memory is None:
                    with _memory_lock:
                        # build once
                        _memory = Memory()
                return _memory
            """,
            line=7,
            expected_fix="""
            import threading
            _memory = None
            _memory_lock = threading.Lock()

            def get_memory():
                global _memory
                if _memory is None:
                    with _memory_lock:
                        if _memory is None:
                            # build once
                            _memory = Memory()
                return _memory
            """,
        )
    ]
