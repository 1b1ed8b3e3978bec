"""CRL104: a lock created inside the function that takes it, so each call has its own."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import function_globals
from ...analysis.file_writes import walk_all
from ...analysis.lazyinit import find_creation, parse_lazy_check, walk_statements
from ...analysis.names import dotted_name
from ...fixes.shared_lock import shared_lock_fix
from ...ftypes import Consequence, FixApplicability, Severity
from ...rule import Invalid, Rule, Valid, WindowNodes
from .lazy_rule import lazy_window


def _handed_on(function: cst.FunctionDef, name: str) -> bool:
    """`name` is used other than as its assignment's target, a `with` item or an attribute's receiver.

    Passed to a call, stored, returned or read by a nested def, the lock reaches code that can
    run on another thread, so one lock per call may still exclude that code (not reported).
    """
    for nested in walk_all(function.body):
        if isinstance(nested, (cst.FunctionDef, cst.Lambda)) and any(
            isinstance(n, cst.Name) and n.value == name for n in walk_all(nested)
        ):
            return True  # a closure over the lock: the nested def may run on another thread
    uses = 0
    benign = 0
    for node in walk_all(function.body):
        if isinstance(node, cst.Name) and node.value == name:
            uses += 1
        elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
            benign += 1  # `lock.acquire()`: used here, not handed on
        elif isinstance(node, cst.WithItem) and isinstance(node.item, cst.Name) and node.item.value == name:
            benign += 1
        elif isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name) and node.target.value == name:
            benign += 1
    return uses > benign


class PerCallLock(Rule):
    CODE = "CRL104"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.local_lock

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("local_lock")

    NAME = "lock-created-per-call"
    CONSEQUENCE = Consequence("no mutual exclusion", Severity.HIGH, "each call makes its own lock, so the code it guards runs in several threads at once")
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("Lock", "lock", "Semaphore", "Condition")
    MESSAGE = "Lock `{lock}` is created on every call, so it never excludes another thread"
    WHAT = """
        Finds a lock created inside the function that uses it, `with threading.Lock():` or
        `lock = threading.Lock()` followed by `with lock:`. Not reported: a named lock the
        function hands on (passed to a call, stored, returned, or named by a nested def): whoever
        receives it, a thread the call starts for instance, takes the same lock (sh's
        `OProc(..., process_assign_lock)`).
    """
    WHY = """
        Each call gets its own new lock, so every thread acquires a different object and
        nothing is serialised: the code looks guarded and is not.
    """
    FREE_THREADING = "Same on every build: the lock guards nothing, wherever threads switch."
    FIX_SAFETY = """
        Unsafe. The lock is moved to module level (named after the state it guards, or the
        function), which serialises all callers. When the block can call the function again
        (recursion through the module's own functions and methods), the lock is a
        `threading.RLock`, so a recursive call does not deadlock; when the block `await`s or
        `yield`s, no fix is offered (a shared threading lock must not be held across either).
        Calls into other modules are not followed.
    """

    def visit_With(self, node: cst.With) -> None:
        function = self.context.function
        if function is None:
            return
        for item in node.items:
            local = self._per_call_lock(function, item.item)
            if local is None:
                continue
            name, creation_stmt = local
            fix, no_fix_reason = shared_lock_fix(self.context, function, node, item, name, creation_stmt)
            self.report(
                node,
                self.MESSAGE.format(lock=name),
                fix=fix,
                no_fix_reason=no_fix_reason,
                window=self._window(node),
            )

    def _window(self, node: cst.With) -> Optional[WindowNodes]:
        """The lazy init the useless lock was meant to guard, if there is one."""
        for inner in walk_statements([node.body]):
            if isinstance(inner, cst.If):
                check = parse_lazy_check(inner.test)
                creation = find_creation(list(inner.body.body), check) if check is not None else None
                if creation is not None:
                    return lazy_window(inner.test, creation)
        return None

    def _per_call_lock(self, function: cst.FunctionDef, expr: cst.BaseExpression):
        locks = self.context.locks
        if isinstance(expr, cst.Call) and locks.is_lock_factory_call(expr):
            return self.context.module.code_for_node(expr), None
        if not isinstance(expr, cst.Name) or expr.value in function_globals(function):
            return None
        for stmt in walk_statements(list(function.body.body)):
            if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
                small = stmt.body[0]
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and dotted_name(small.targets[0].target) == expr.value
                    and locks.is_lock_factory_call(small.value)
                ):
                    return None if _handed_on(function, expr.value) else (expr.value, stmt)
        return None

    VALID = [
        Valid(
            """
            import threading

            def start(cmd):
                ready = threading.Lock()
                with ready:
                    proc = Process(cmd, ready)
                return proc
            """
        ),
        Valid(
            """
            import threading
            _lock = threading.Lock()

            def work():
                with _lock:
                    pass
            """
        )
    ]
    INVALID = [
        Invalid(
            """
            import threading

            _installation_history = None

            def get_installation_history():
                global _installation_history
                lock = threading.Lock()
                with lock:
                    if _installation_history is None:
                        _installation_history = InstallationHistory()
                return _installation_history
            """,
            line=8,
            unsafe=True,
            expected_fix="""
            import threading

            _installation_history = None
            _installation_history_lock = threading.Lock()

            def get_installation_history():
                global _installation_history
                with _installation_history_lock:
                    if _installation_history is None:
                        _installation_history = InstallationHistory()
                return _installation_history
            """,
        ),
        Invalid(
            """
            import threading

            def bump(counter):
                with threading.Lock():
                    counter.value += 1
            """,
            line=4,
        ),
    ]
