"""CRL202: one `check_same_thread=False` connection used from several methods without a lock.

The fix (the uses wrapped in the object's or module's lock) is built in
`fixes.connection_lock`; this module finds the unlocked uses.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import LintContext, function_globals
from ...analysis.self_attributes import self_attr
from ...analysis.shared_connections import (
    own_walk,
    rooted,
    shared_connection_attributes,
    shared_connection_globals,
)
from ...analysis.sqlite_usage import value_escape, walk
from ...fixes.connection_lock import connection_lock_fix
from ...ftypes import Consequence, FixApplicability, Severity
from ...rule import Invalid, Rule, Valid


class SharedConnectionWithoutLock(Rule):
    CODE = "CRL202"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.imports_sqlite and "connect" in facts.called_names
    NAME = "shared-sqlite-connection-without-lock"
    CONSEQUENCE = Consequence("lost commit", Severity.HIGH, "two threads' statements interleave in one transaction: one thread commits or rolls back the other's writes")
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("check_same_thread",)
    MESSAGE = "Connection `{conn}` is shared across threads (check_same_thread=False) but `{function}` uses it without a lock"
    WHAT = """
        Finds one sqlite3 connection created with `check_same_thread=False` and kept on an
        object (`self._conn = sqlite3.connect(..., check_same_thread=False)`) or in a
        module global, then used (`execute`, `cursor()`, `commit()`, a cursor made from it,
        `close()`) in methods or functions without holding a lock. Reported once per
        method or function, at its first unlocked use. Uses in `__init__` are not reported:
        the object is not shared yet.
    """
    WHY = """
        `check_same_thread=False` only turns off sqlite3's safety check. A connection has
        one transaction: one thread's `commit()` commits another's half-done writes,
        a `rollback()` discards them, and a cursor's rows can be consumed by the wrong
        thread. The sqlite3 module serialises single calls, but not a statement and
        the commit that belongs to it.
    """
    FREE_THREADING = """
        Under the GIL the interleavings need a thread switch between two calls on the
        connection, which happens, but rarely. Free-threaded builds interleave them freely,
        so transactions mix routinely.
    """
    FIX_SAFETY = """
        Unsafe. The statements that use the connection in each method go under one
        instance lock, `with self._lock:` (reused when `__init__` already creates a lock,
        otherwise added at the top of `__init__`), or a module lock for a global
        connection. All statements from a method's first use of the connection to its last
        use in the same block are wrapped together, so a statement and its commit stay
        atomic. Work between them (including I/O) now runs under the lock. A statement
        that calls another method using the connection is left outside the lock, because
        a plain `Lock` is not re-entrant. If such a call sits in a statement that also
        uses the connection, no fix is offered.
    """
    KNOWN_PROBLEMS = """
        Only the one connection object is serialised. Transactions that several methods
        build together still need a coarser lock or a pool (CRL201's fix).
    """

    def __init__(self, context: LintContext) -> None:
        super().__init__(context)
        self._classes: dict[int, set[str]] = {}
        self._globals: Optional[set[str]] = None

    # -- what is shared ---------------------------------------------------------
    def _shared_attributes(self, class_node: cst.ClassDef) -> set[str]:
        key = id(class_node)
        if key not in self._classes:
            self._classes[key] = shared_connection_attributes(self.context, class_node)
        return self._classes[key]

    def _shared_globals(self) -> set[str]:
        if self._globals is None:
            self._globals = shared_connection_globals(self.context)
        return self._globals

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        context = self.context
        ancestors = context.ancestors
        node = original_node
        class_node = ancestors[-3] if len(ancestors) >= 3 and isinstance(ancestors[-3], cst.ClassDef) else None
        if class_node is not None:
            if node.name.value in ("__init__", "__new__", "__del__"):
                return
            params = node.params.params
            if not params or params[0].name.value != "self":
                return
            shared = self._shared_attributes(class_node)
            if not shared:
                return

            def is_root(expr):
                return self_attr(expr) in shared

            describe = "self.{}"
        else:
            if context.in_main_guard() or len(ancestors) != 2:
                return
            shared_globals = self._shared_globals()
            if not shared_globals:
                return
            local_only = {
                n.value
                for n, p in walk(node.body)
                if isinstance(n, cst.Name) and p and isinstance(p[-1], cst.AssignTarget)
            } - function_globals(node)
            shared = shared_globals - local_only
            if not shared:
                return

            def is_root(expr):
                return isinstance(expr, cst.Name) and expr.value in shared

            describe = "{}"
        self._check_function(node, class_node, is_root, describe)

    def _check_function(self, function: cst.FunctionDef, class_node, is_root, describe: str) -> None:
        context = self.context
        prefix = list(context.ancestors)
        aliases: set[str] = set()
        changed = True
        while changed:
            changed = False
            for node, _ in own_walk(function.body):
                if isinstance(node, cst.Assign) and rooted(node.value, is_root, aliases):
                    for target in node.targets:
                        if isinstance(target.target, cst.Name) and target.target.value not in aliases:
                            aliases.add(target.target.value)
                            changed = True
        uses: list[tuple[cst.CSTNode, tuple]] = []
        nested_problem = None
        for node, parents in walk(function.body):
            hit = is_root(node) or (
                isinstance(node, cst.Name)
                and node.value in aliases
                and not (parents and isinstance(parents[-1], cst.Attribute) and parents[-1].attr is node)
            )
            if not hit:
                continue
            if isinstance(node, cst.Name) and parents and isinstance(parents[-1], cst.Attribute) and is_root(parents[-1]):
                continue  # the `self` of `self._conn`
            if any(isinstance(p, (cst.FunctionDef, cst.Lambda)) for p in parents):
                nested_problem = "the connection is used in a nested function or lambda, which may run elsewhere"
            elif not (parents and isinstance(parents[-1], cst.AssignTarget)):
                source = self.context.module.code_for_node(node)
                escape = value_escape(node, parents, source)
                if escape is not None:
                    nested_problem = (
                        escape.replace("the `with` block returns it", "the lock is released")
                        .replace("outlive the `with` block", "be used outside the lock")
                        .replace("it went back to the pool", "the lock is released")
                    )
            if context.locks.locks_held([*prefix, *parents, node]):
                continue
            uses.append((node, parents))
        if not uses:
            return
        first = uses[0][0]
        root = next((n for n, _ in uses if is_root(n)), None)
        if isinstance(root, cst.Attribute):
            name = describe.format(root.attr.value)
        elif isinstance(root, cst.Name):
            name = describe.format(root.value)
        else:
            name = describe.format(sorted(self._root_names(class_node))[0])
        message = self.MESSAGE.format(conn=name, function=function.name.value)
        if nested_problem:
            self.report(first, message, no_fix_reason=nested_problem)
            return
        shared = self._shared_attributes(class_node) if class_node is not None else set()
        fix, reason = connection_lock_fix(self.context, class_node, uses, name, shared)
        self.report(first, message, fix=fix, no_fix_reason=reason)

    def _root_names(self, class_node) -> set[str]:
        if class_node is not None:
            return self._shared_attributes(class_node) or {"?"}
        return self._shared_globals() or {"?"}

    VALID = [
        Valid(
            """
            import sqlite3
            import threading

            class Store:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self._conn = sqlite3.connect(path, check_same_thread=False)

                def put(self, key, value):
                    with self._lock:
                        self._conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
                        self._conn.commit()
            """
        ),
        Valid(
            """
            import sqlite3

            class Store:
                def __init__(self, path):
                    self._conn = sqlite3.connect(path)  # default check_same_thread=True: not shared

                def get(self, key):
                    return self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sqlite3

            class Store:
                def __init__(self, path):
                    self._conn = sqlite3.connect(path, check_same_thread=False)

                def put(self, key, value):
                    self._conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
                    self._conn.commit()
            """,
            line=8,
            unsafe=True,
            expected_fix="""
            import sqlite3
            import threading

            class Store:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self._conn = sqlite3.connect(path, check_same_thread=False)

                def put(self, key, value):
                    with self._lock:
                        self._conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
                        self._conn.commit()
            """,
        ),
        Invalid(
            """
            import sqlite3

            _conn = sqlite3.connect("app.db", check_same_thread=False)

            def count():
                return _conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
            """,
            line=6,
            unsafe=True,
            expected_fix="""
            import sqlite3
            import threading

            _conn = sqlite3.connect("app.db", check_same_thread=False)
            _conn_lock = threading.Lock()

            def count():
                with _conn_lock:
                    return _conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
            """,
        ),
    ]
