"""CRL1xx: lazy singletons and lazy caches initialised without a lock.

All five rules look at the same shape, `if <state missing>: <create state>`, through
`analysis.lazyinit`; `lazy_init_site` classifies each `if` once per visit (memoised on
the context) and each rule reports only its own kind, so a site is reported once.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from ..analysis.context import LintContext, function_globals
from ..analysis.lazyinit import LazyCheck, find_creation, first_call, parse_lazy_check, walk_statements
from ..analysis.names import dotted_name
from ..fixes.blocks import block_statements, double_checked, recheck_inside, with_lock
from ..fixes.locks import class_lock, lock_name_for, module_lock
from ..ftypes import FixApplicability, GilExposure
from ..rule import Fix, Invalid, Rule, Valid, WindowNodes


@dataclass
class LazyInitSite:
    kind: str  # "global" | "class" | "keyed" | "broken-dcl"
    check: LazyCheck
    creation: cst.CSTNode
    early_return: bool = False
    lock_with: Optional[cst.With] = None  # for broken-dcl: the `with lock:` lacking a re-check
    #: `v = cache.get(k)` when the `if` tests that local copy: repeated under the lock before the re-check
    reread: Optional[cst.SimpleStatementLine] = None


def _class_receiver(context: LintContext, state: str) -> Optional[str]:
    """`cls` / `ClassName` when `state` is a class attribute of the enclosing class."""
    receiver, _, attribute = state.rpartition(".")
    class_node, function = context.class_, context.function
    if not receiver or "." in receiver or class_node is None or function is None:
        return None
    if receiver == class_node.name.value:
        return receiver
    params = function.params.params
    is_classmethod = any(dotted_name(d.decorator) == "classmethod" for d in function.decorators)
    if params and params[0].name.value == receiver and (is_classmethod or function.name.value == "__new__"):
        return receiver
    return None


def _is_module_global(context: LintContext, name: str) -> bool:
    function = context.function
    return "." not in name and (
        (function is not None and name in context.globals_of(function))
        or (name in context.module_assignments and (function is None or name not in context.locals_of(function)))
    )


def _lock_in_body(context: LintContext, node: cst.If, creation: cst.CSTNode) -> Optional[cst.With]:
    """A `with <lock>:` inside the `if` body that contains the creation."""
    return _lock_around(context, list(node.body.body), creation)


def _lock_around(context: LintContext, stmts: list, creation: cst.CSTNode) -> Optional[cst.With]:
    """A `with <lock>:` among `stmts` (at any depth) that contains the creation."""
    for inner in walk_statements(stmts):
        if isinstance(inner, cst.With) and any(context.locks.is_lock(i.item) for i in inner.items):
            if any(n is creation for n in walk_statements([inner.body])):
                return inner
    return None


def _has_recheck(with_node: cst.With, check: LazyCheck, reread: Optional[cst.SimpleStatementLine] = None) -> bool:
    if reread is not None:
        return _has_local_recheck(with_node, reread)
    for inner in walk_statements([with_node.body]):
        if isinstance(inner, (cst.If, cst.While)):
            again = parse_lazy_check(inner.test)
            if again is not None and again.state == check.state:
                return True
    return False


def _cache_read(stmt: cst.CSTNode) -> Optional[tuple[str, str]]:
    """`(local, cache)` for a line `local = cache.get(key)` (or `.get(key, None)`)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return None
    assign = stmt.body[0]
    call = assign.value
    if not (
        len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "get"
        and all(a.keyword is None and not a.star for a in call.args)
        and (len(call.args) == 1 or (len(call.args) == 2 and _is_none_literal(call.args[1].value)))
    ):
        return None
    cache = dotted_name(call.func.value)
    return (assign.targets[0].target.value, cache) if cache else None


def _is_none_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _has_local_recheck(with_node: cst.With, reread: cst.SimpleStatementLine) -> bool:
    """Under the lock, the copy is read again from the cache and then tested."""
    local, cache = _cache_read(reread) or ("", "")
    seen_read = False
    for inner in walk_statements([with_node.body]):
        read = _cache_read(inner)
        if read == (local, cache):
            seen_read = True
        elif seen_read and isinstance(inner, (cst.If, cst.While)):
            again = parse_lazy_check(inner.test)
            if again is not None and again.state == local:
                return True
    return False


def _local_cache_check(context: LintContext, node: cst.If, check: LazyCheck) -> Optional[tuple[LazyCheck, cst.SimpleStatementLine]]:
    """`v = _cache.get(k)` ... `if v is None:`: the test is on the cache, through a local copy.

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
        read = _cache_read(stmt)
        if read is not None and read[0] == check.state:
            used = {n.value for n in walk_statements([stmt.body[0].value]) if isinstance(n, cst.Name)}
            used.add(check.state)
            if any(isinstance(n, cst.Name) and n.value in used for n in walk_statements(between)):
                return None
            return LazyCheck(read[1], True, keyed=True), stmt  # type: ignore[return-value]
        between.append(stmt)
    return None


def _returns_state(stmt: cst.CSTNode, state: str) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Return)
        and stmt.body[0].value is not None
        and dotted_name(stmt.body[0].value) == state
    )


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
    # cheap questions first: most `if`s test locals, parameters or `self` attributes
    reread = None
    if check.keyed:
        shared = _is_module_global(context, check.state) or _class_receiver(context, check.state)
        kind = "keyed"
    elif _is_module_global(context, check.state):
        shared, kind = True, "global"
    else:
        shared, kind = bool(_class_receiver(context, check.state)), "class"
    if not shared:
        local = _local_cache_check(context, node, check)
        if local is not None:
            check, reread = local
            shared = _is_module_global(context, check.state) or bool(_class_receiver(context, check.state))
            kind = "keyed"
    if not shared or context.in_main_guard():
        return None
    early_return = False
    if check.missing:
        creation = find_creation(list(node.body.body), check)
    else:
        parent = context.ancestors[-2] if len(context.ancestors) >= 2 else None
        body = block_statements(node.body)[0]  # `if _x is not None: return _x` on one line too
        if not (len(body) == 1 and _returns_state(body[0], check.state) and isinstance(parent, cst.IndentedBlock)):
            return None
        index = next(i for i, stmt in enumerate(parent.body) if stmt is node)
        rest = list(parent.body[index + 1 :])
        creation = find_creation(rest, check)
        early_return = True
        if creation is not None and _lock_around(context, rest, creation) is not None:
            return None  # created under a lock after the fast-path return
    if creation is None:
        return None
    if not early_return:
        lock_with = _lock_in_body(context, node, creation)
        if lock_with is not None:
            if _has_recheck(lock_with, check, reread) or context.locks.is_lock_factory_call(lock_with.items[0].item):
                return None  # correct double-checked locking, or CRL104's per-call lock
            return LazyInitSite("broken-dcl", check, creation, lock_with=lock_with, reread=reread)
    if context.held_locks():
        return None
    return LazyInitSite(kind, check, creation, early_return=early_return, reread=reread)


def _reread_before_recheck(site: LazyInitSite) -> Optional[cst.With]:
    """`with lock: if v is None: ...` re-tests a stale copy: read it again first (no second `if`)."""
    with_node = site.lock_with
    if site.reread is None or with_node is None or not isinstance(with_node.body, cst.IndentedBlock):
        return None
    local = _cache_read(site.reread)
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


def _window(node: cst.If, site: LazyInitSite) -> WindowNodes:
    hold = first_call(site.creation)
    exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
    return WindowNodes(check=node.test, act=site.creation, hold_call=hold, exposure=exposure)


def _missing_test(test: cst.BaseExpression) -> cst.BaseExpression:
    """The negation of a presence test, spelt the way people write it."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        flipped = {cst.IsNot: cst.Is(), cst.NotEqual: cst.Equal(), cst.In: cst.NotIn()}.get(type(target.operator))
        if flipped is not None:
            return test.with_changes(comparisons=[target.with_changes(operator=flipped)]).deep_clone()
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression.deep_clone()
    return cst.UnaryOperation(operator=cst.Not(), expression=test.deep_clone())


def _lazy_fix(context: LintContext, node: cst.If, site: LazyInitSite, lock: cst.BaseExpression, edits: list) -> Fix:
    """Double-checked locking for the plain and the early-return forms."""
    state = site.check.state
    message = f"Guard the lazy initialisation of `{state}` with double-checked locking"
    if not site.early_return:
        return Fix(message, {node: double_checked(node, lock, _reread(site))}, edits)
    block = context.ancestors[-2]
    assert isinstance(block, cst.IndentedBlock)
    index = next(i for i, stmt in enumerate(block.body) if stmt is node)
    rest = list(block.body[index + 1 :])
    tail = [rest.pop()] if rest and _returns_state(rest[-1], state) and len(rest) > 1 else []
    leading = rest[0].leading_lines if rest else ()
    rest[0] = rest[0].with_changes(leading_lines=())
    guarded = cst.If(test=_missing_test(node.test), body=cst.IndentedBlock(body=rest))
    wrapped = with_lock(lock, [guarded]).with_changes(leading_lines=leading)
    new_block = block.with_changes(body=[*block.body[: index + 1], wrapped, *tail])
    return Fix(message, {block: new_block}, edits)


def _state_lock(context: LintContext, site: LazyInitSite) -> tuple[cst.BaseExpression, list]:
    """The lock named after the state: module global, or class attribute for `cls.x`."""
    state = site.check.state
    receiver = _class_receiver(context, state)
    lock_name = lock_name_for(state)
    if receiver is not None:
        assert context.class_ is not None
        edits = class_lock(context, context.class_, lock_name, state.rsplit(".", 1)[-1])
        return cst.Attribute(value=cst.Name(receiver), attr=cst.Name(lock_name)), edits
    return module_lock(context, lock_name, state)


class _LazyInitRule(Rule):
    KIND = ""
    EVIDENCE = ("global",)

    def visit_If(self, node: cst.If) -> None:
        site = lazy_init_site(self.context, node)
        if site is None or site.kind != self.KIND:
            return
        lock, edits = _state_lock(self.context, site)
        self.report(
            node,
            self.MESSAGE.format(state=site.check.state),
            fix=_lazy_fix(self.context, node, site, lock, edits),
            window=_window(node, site),
        )


_FREE_THREADING_LAZY = """
    Under the GIL a thread switch happens only at a call or a backward jump, so the window
    between the check and the assignment is split only when the constructor (a call) lets
    another thread run: rare, but real when construction does I/O. On free-threaded builds
    (3.13t, 3.14t) both threads run the check truly in parallel and the race fires often.
"""


class LazyGlobalSingleton(_LazyInitRule):
    CODE = "CRL101"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_global

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("lazy_global")

    NAME = "unguarded-lazy-global"
    KIND = "global"
    MESSAGE = "Lazy initialisation of module global `{state}` is not guarded by a lock: two threads can both create it"
    WHAT = """
        Finds module-level lazy singletons, `global _x` followed by `if _x is None: _x = X()`
        (also `if not _x`, `== None`, and the early-return form `if _x is not None: return _x`),
        where the check and the assignment are not under a lock.
    """
    WHY = """
        Two threads can both see `None` and both construct the object: each caller gets a
        different "singleton", state written to the loser is lost, and resources such as
        database connections or threads are created twice.
    """
    FREE_THREADING = _FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. The fix adds a module lock named after the state (`_history_lock` for
        `_history_instance`) next to the global, and rewrites the check into double-checked
        locking: the fast path stays lock-free, the slow path re-checks under the lock.
        `import threading` is added once (or an existing alias reused).
    """
    VALID = [
        Valid(
            """
            import threading
            _history = None
            _history_lock = threading.Lock()

            def get_history():
                global _history
                if _history is None:
                    with _history_lock:
                        if _history is None:
                            _history = object()
                return _history
            """
        ),
        Valid(
            """
            _registry = {}  # eager module initialisation is safe

            def get_registry():
                return _registry
            """
        ),
        Valid(
            """
            def build():
                result = None  # a local, not shared
                if result is None:
                    result = object()
                return result
            """
        ),
        Valid(
            """
            _config = None

            if __name__ == "__main__":
                if _config is None:
                    _config = object()
            """
        ),
        Valid(
            """
            import threading
            _lock = threading.Lock()
            _x = None

            def get():
                global _x
                _lock.acquire()
                try:
                    if _x is None:
                        _x = object()
                finally:
                    _lock.release()
                return _x
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            _history_instance = None


            def get_history():
                global _history_instance
                if _history_instance is None:  # first use
                    _history_instance = TransactionHistory()
                return _history_instance
            """,
            line=6,
            expected_fix="""
            import threading

            _history_instance = None
            _history_lock = threading.Lock()


            def get_history():
                global _history_instance
                if _history_instance is None:  # first use
                    with _history_lock:
                        if _history_instance is None:
                            _history_instance = TransactionHistory()
                return _history_instance
            """,
        ),
        Invalid(
            """
            import threading as th

            _detector = None

            def get_detector():
                global _detector
                if _detector is not None:
                    return _detector
                # slow: probes the hardware
                _detector = Detector()
                return _detector
            """,
            line=7,
            expected_fix="""
            import threading as th

            _detector = None
            _detector_lock = th.Lock()

            def get_detector():
                global _detector
                if _detector is not None:
                    return _detector
                # slow: probes the hardware
                with _detector_lock:
                    if _detector is None:
                        _detector = Detector()
                return _detector
            """,
        ),
        Invalid(
            """
            _undo = None

            def get_undo():
                global _undo
                if not _undo:
                    _undo = Undo()
                return _undo
            """,
            line=5,
        ),
    ]


class LazyClassSingleton(_LazyInitRule):
    CODE = "CRL102"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_class

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("lazy_class")

    NAME = "unguarded-class-singleton"
    KIND = "class"
    EVIDENCE = ("class",)  # `Name.x` in a method of `Name` needs nothing more specific
    MESSAGE = "Class-held singleton `{state}` is created without a lock: two threads can both create it"
    WHAT = """
        Finds singletons kept on the class, `if cls._instance is None: cls._instance = cls()`
        in a classmethod, the same in `__new__`, or `ClassName._instance`, and the
        `hasattr(cls, "_instance")` spelling, with no lock around the check and the act.
    """
    WHY = """
        Two threads can both create an instance; with `__new__` singletons the second also
        re-runs `__init__` on the shared object, resetting its state under the first caller.
    """
    FREE_THREADING = _FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. A class-level lock (`_instance_lock = threading.Lock()`) is added next to the
        class attribute, and the check becomes double-checked locking on `cls._instance_lock`.
    """
    VALID = [
        Valid(
            """
            import threading

            class Manager:
                _instance = None
                _instance_lock = threading.Lock()

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        with cls._instance_lock:
                            if cls._instance is None:
                                cls._instance = cls()
                    return cls._instance
            """
        ),
        Valid(
            """
            class Lazy:
                def value(self):
                    if self._value is None:  # per-instance cache, not a class singleton
                        self._value = compute()
                    return self._value
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            class GracefulDegradation:
                \"\"\"Fallback modes.\"\"\"

                _instance = None

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        cls._instance = cls()
                    return cls._instance
            """,
            line=8,
            expected_fix="""
            import threading


            class GracefulDegradation:
                \"\"\"Fallback modes.\"\"\"

                _instance = None
                _instance_lock = threading.Lock()

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        with cls._instance_lock:
                            if cls._instance is None:
                                cls._instance = cls()
                    return cls._instance
            """,
        ),
        Invalid(
            """
            class Config:
                _instance = None

                def __new__(cls, *args, **kwargs):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance
            """,
            line=5,
        ),
        Invalid(
            """
            class Registry:
                @staticmethod
                def get():
                    if not hasattr(Registry, "_inst"):
                        Registry._inst = Registry()
                    return Registry._inst
            """,
            line=4,
        ),
    ]


class BrokenDoubleCheckedLocking(_LazyInitRule):
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
    FREE_THREADING = _FREE_THREADING_LAZY
    FIX_SAFETY = "Safe. The check is repeated inside the `with` block (the missing half of the pattern)."

    def visit_If(self, node: cst.If) -> None:
        site = lazy_init_site(self.context, node)
        if site is None or site.kind != self.KIND or site.lock_with is None:
            return
        fixed = _reread_before_recheck(site) or recheck_inside(site.lock_with, node.test, _reread(site))
        self.report(
            node,
            self.MESSAGE.format(state=site.check.state),
            fix=Fix(f"Re-check `{site.check.state}` inside the lock", {site.lock_with: fixed}),
            window=_window(node, site),
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


class PerCallLock(Rule):
    CODE = "CRL104"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.local_lock

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("local_lock")

    NAME = "lock-created-per-call"
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("Lock", "lock", "Semaphore", "Condition")
    MESSAGE = "Lock `{lock}` is created on every call, so it never excludes another thread"
    WHAT = """
        Finds a lock created inside the function that uses it, `with threading.Lock():` or
        `lock = threading.Lock()` followed by `with lock:`.
    """
    WHY = """
        Each call gets its own new lock, so every thread acquires a different object and
        nothing is serialised: the code looks guarded and is not.
    """
    FREE_THREADING = "Same on every build: the lock guards nothing, wherever threads switch."
    FIX_SAFETY = """
        Unsafe. The lock is moved to module level (named after the state it guards, or the
        function), which serialises all callers; review for re-entrancy (a recursive call
        would now deadlock on a plain `Lock`).
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
            self.report(
                node,
                self.MESSAGE.format(lock=name),
                fix=self._fix(function, node, item, name, creation_stmt),
                window=self._window(node),
            )

    def _window(self, node: cst.With) -> Optional[WindowNodes]:
        """The lazy init the useless lock was meant to guard, if there is one."""
        for inner in walk_statements([node.body]):
            if isinstance(inner, cst.If):
                check = parse_lazy_check(inner.test)
                creation = find_creation(list(inner.body.body), check) if check is not None else None
                if creation is not None:
                    hold = first_call(creation)
                    exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
                    return WindowNodes(check=inner.test, act=creation, hold_call=hold, exposure=exposure)
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
                    return expr.value, stmt
        return None

    def _fix(self, function, node: cst.With, item: cst.WithItem, name: str, creation_stmt) -> Optional[Fix]:
        if creation_stmt is not None:
            uses = [n for n in walk_statements(list(function.body.body)) if isinstance(n, cst.Name) and n.value == name]
            if len(uses) != 2:  # the assignment target and the `with` item only
                return None
        state = None
        for inner in walk_statements([node.body]):
            if isinstance(inner, cst.If):
                check = parse_lazy_check(inner.test)
                if check is not None and "." not in check.state and find_creation(list(inner.body.body), check):
                    state = check.state
                    break
        lock_name = lock_name_for(state) if state else f"_{function.name.value.lstrip('_')}_lock"
        lock, edits = module_lock(self.context, lock_name, state)
        new_items = [i.with_changes(item=lock) if i is item else i for i in node.items]
        replacements = {node: node.with_changes(items=new_items)}
        if creation_stmt is not None:
            replacements[creation_stmt] = cst.RemoveFromParent()
        return Fix(f"Use one module-level lock `{lock_name}`", replacements, edits, FixApplicability.UNSAFE)

    VALID = [
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


class LazyKeyedCache(_LazyInitRule):
    CODE = "CRL105"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_keyed

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("lazy_keyed")

    NAME = "unguarded-keyed-cache"
    KIND = "keyed"
    EVIDENCE = (re.compile(rb"\bin\b"), ".get(", "setdefault")  # the word `in`: `'a'in d` needs no spaces
    MESSAGE = "Keyed lazy cache `{state}` is filled without a lock: two threads can create the same entry"
    WHAT = """
        Finds `if key not in _cache: _cache[key] = make(key)` (and `_cache.get(key) is None`)
        on a module-level or class-level dict, with no lock around the check and the insert.
    """
    WHY = """
        Single dict operations are atomic, but check-then-insert is two operations: two
        threads can both miss and both build the value, and callers end up holding different
        objects for the same key.
    """
    FREE_THREADING = _FREE_THREADING_LAZY
    FIX_SAFETY = "Safe. Double-checked locking on a lock named after the cache (`_caches_lock`)."
    VALID = [
        Valid(
            """
            import threading
            _caches = {}
            _caches_lock = threading.Lock()

            def get_cache(key):
                with _caches_lock:
                    if key not in _caches:
                        _caches[key] = Cache(key)
                    return _caches[key]
            """
        )
    ]
    INVALID = [
        Invalid(
            """
            _caches: dict = {}

            def get_cache(key):
                if key not in _caches:
                    _caches[key] = Cache(key)
                return _caches[key]
            """,
            line=4,
            expected_fix="""
            import threading

            _caches: dict = {}
            _caches_lock = threading.Lock()

            def get_cache(key):
                if key not in _caches:
                    with _caches_lock:
                        if key not in _caches:
                            _caches[key] = Cache(key)
                return _caches[key]
            """,
        )
    ]


class CacheDecoratedSingleton(Rule):
    CODE = "CRL106"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.cache_decorators

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("cache_decorators")

    NAME = "lru-cache-singleton"
    FIX = None
    EVIDENCE = ("cache",)
    MESSAGE = "`@{decorator}` on a zero-argument factory is not a singleton guard: concurrent first calls can each run it"
    WHAT = "Finds zero-argument module functions decorated with `functools.cache` or `lru_cache` used as singletons."
    WHY = """
        `functools.lru_cache` does not hold a lock while the wrapped function runs: two threads
        calling it for the first time both execute the factory and receive different objects.
    """
    FREE_THREADING = "Shows under the GIL when the factory makes a call that releases it; far more often on 3.13t/3.14t."
    FIX_SAFETY = "No automatic fix: replace with an explicit double-checked lock or `thread_utils.lazy_singleton`."

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        if len(self.context.ancestors) != 2 or params.params or isinstance(params.star_arg, cst.Param):
            return
        for decorator in node.decorators:
            expr = decorator.decorator
            func = expr.func if isinstance(expr, cst.Call) else expr
            qualified = self.context.imports.qualify(func)
            if qualified in ("functools.lru_cache", "functools.cache"):
                self.report(
                    decorator,
                    self.MESSAGE.format(decorator=qualified.split(".")[-1]),
                    no_fix_reason="a cache decorator cannot be turned into a lock mechanically",
                )

    VALID = [
        Valid(
            """
            from functools import lru_cache

            @lru_cache(maxsize=128)
            def parse(text):
                return text.split()
            """
        )
    ]
    INVALID = [
        Invalid(
            """
            import functools

            @functools.lru_cache(maxsize=1)
            def get_client():
                return Client()
            """,
            line=3,
        )
    ]
