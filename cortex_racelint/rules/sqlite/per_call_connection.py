"""CRL201: `sqlite3.connect()` inside a function, a new connection on every call.

The fix (a pooled checkout) is built in `fixes.pooled_connection`; this module decides
what is reported and why a fix is withheld.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.names import dotted_name
from ...analysis.sqlite_sites import classify_connect, connection_owned_elsewhere, pool_data_blocker
from ...analysis.sqlite_usage import is_sqlite_connect, walk
from ...fixes.pooled_connection import pooled_connection_fix
from ...ftypes import Consequence, FixApplicability, GilExposure, Severity
from ...rule import Invalid, Rule, Valid, WindowNodes
from .connect_arguments import connect_args

_FIX_SAFETY_201 = """
    Unsafe: the fix changes when transactions end, so review the diff.

    - Pooled checkouts commit on normal exit and roll back on an exception. That is
      exactly what `with sqlite3.connect(...) as conn:` did. The other shapes did not
      commit: `conn.close()` (after an assignment, in `finally:`, or via
      `contextlib.closing`) silently discards whatever was not committed. After the fix
      such writes are committed. Code that relied on close-without-commit to throw work
      away now keeps it. A close inside an `except` handler that swallows the error
      becomes `conn.rollback()`, so a failed transaction is still discarded.
    - Connect arguments other than the path (`timeout=`, `cached_statements=`) are dropped:
      the pool sets its own busy timeout. The fix message names what was dropped.
      `detect_types`, `isolation_level`, `autocommit`, `uri=True`, `check_same_thread`
      and `factory` block the fix, because the pool's connections would behave differently.
    - Per-use state (`row_factory`, `text_factory`, isolation level) is reset when the
      connection returns to the pool. PRAGMAs, registered functions and temp tables
      are not reset.
    - When the path is `self.<attr>` set in `__init__`, the pool is created once in
      `__init__` (`self._pool = get_connection_pool(self.db_path)`, right after that
      assignment). A later reassignment of the attribute elsewhere, in another method
      or in a subclass of the same module (`self.db_path = ...` after
      `super().__init__()`), makes the fix look the pool up at the call site instead
      (`get_connection_pool(self.db_path)`), so each call uses the path it has then.
      The pool opens connections lazily: creating it before the `os.makedirs` of its
      folder is harmless.
    - The database runs in WAL mode: `-wal` and `-shm` files sit next to it while
      pooled connections are open, and committed rows live in `-wal` until a
      checkpoint (copy the file with `Connection.backup()`, not `shutil.copy`).
    - The pool switches the file to WAL on its first connection. While another
      connection writes, SQLite refuses that switch at once; the checkout then goes
      on in the file's current journal mode (the statements wait out the busy timeout
      as before) and a later checkout switches.
    - The pool factory comes from `[tool.racelint] sqlite-pool` (default
      `cortex.utils.db_pool:get_connection_pool`). The fix is offered only when the
      project has that module (a file under the project root, flat or `src/` layout) or
      the fixed module already imports the factory. Otherwise the finding says which
      module is missing and how to add it (`racelint scaffold db-pool PACKAGE_DIR`, then
      `sqlite-pool`), and `--fix --unsafe-fixes` exits 2 without writing it.

    No fix is offered when the connection or a cursor made from it could be used
    after the block returns it to the pool: returned, yielded, stored on `self` or
    in a container, passed to a thread or executor, captured by a nested function,
    lambda or lazy generator expression, used after the statements that would be
    wrapped, assigned in a branch and used outside it, held across a `yield`, or
    wrapped in a lazy iterator that is returned or kept (`enumerate`, `zip`, `filter`,
    `map`, `iter`, `reversed`, `itertools.islice`/`chain`/...). No fix either when an
    `except` handler uses the connection and swallows the error without rolling back
    (the pool would commit the partial transaction).

    No fix when a pooled connection would hold different data than a fresh one:
    the function reads `conn.total_changes` (a pooled connection counts its earlier
    users' changes), runs `ATTACH`/`DETACH` or `CREATE TEMP` (it stays on the
    connection, so the next `ATTACH` of that name fails), or registers per-connection
    state (`create_function`, `create_aggregate`, `create_collation`,
    `set_authorizer`, `load_extension`, ...) or sets a PRAGMA that changes what
    statements do (`foreign_keys`, `recursive_triggers`, `query_only`, ...) that
    another connecting function of the module does not set (it would inherit it;
    speed and durability PRAGMAs do not count); the path can be `":memory:"` (a
    parameter or `self.<attr>` defaulting to it: each per-call connection is a new,
    empty database, a pool shares one); the module removes or replaces the database
    file (`os.remove`, `os.replace`, `Path.unlink`, ...: pooled connections would stay
    on the unlinked file and its `-wal`/`-shm`) or copies it (`shutil.copy*`: in WAL
    mode committed rows stay in `-wal` until a checkpoint, so the copy misses them;
    `Connection.backup()` does not). The finding says why.
"""


class PerCallConnection(Rule):
    CODE = "CRL201"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.imports_sqlite and "connect" in facts.called_names
    NAME = "per-call-sqlite-connection"
    CONSEQUENCE = Consequence("lost commit", Severity.MEDIUM, "connections opened per call contend for the write lock: `database is locked` fails a write")
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("connect",)
    MESSAGE = "`sqlite3.connect()` opens a new connection on every call: use a shared connection pool"
    WHAT = """
        Finds `sqlite3.connect(...)` inside a function or method, whatever the spelling:
        `sqlite3.connect`, `import sqlite3 as s; s.connect`, `from sqlite3 import connect
        as c`, `sqlite3.dbapi2.connect`. Calls named `connect` that are not sqlite3's
        (`socket.connect`, `psycopg.connect`, `self.connect()`) are not reported. Neither
        are module-level code, code under `if __name__ == "__main__":`, connections to
        `":memory:"` or `""` (a private database that exists only for that connection,
        so a pool would change its meaning), the configured pool module itself
        (`sqlite-pool`), and connections stored on an object or in a
        global (`self._conn = sqlite3.connect(...)`). Those live as long as their owner,
        not per call, and a shared `check_same_thread=False` one is CRL202's.

        Not reported either, because the connection is not this function's to pool: a
        factory that returns it (`return sqlite3.connect(p)`, or `conn = ...` then
        `return conn`) when no caller in the module closes what it returns per call (the
        caller owns it and decides its lifetime, often one per thread; a factory its callers
        open and close per call is still reported, without a fix),
        and code one short-lived caller runs rather than a service's threads: tests, script
        entry points, and the set-up and command methods of application and command classes
        (`ipython history trim`'s `HistoryTrim.start()`), as for CRL301 (`analysis/one_shot.py`).
    """
    WHY = """
        Every call pays for opening the database and, without WAL and a busy timeout,
        concurrent writers fail with "database is locked" or wait out the 5 s default
        timeout. In a measurement on a GIL build, per-call connections with a short
        timeout lost 688 of 2,400 concurrent writes. A pool keeps a few configured
        connections (WAL, busy timeout) and hands them out one thread at a time.
    """
    FREE_THREADING = """
        The contention is on SQLite's file lock, so it shows on every build. Free-threaded
        builds run more writers truly in parallel, which turns occasional "database is
        locked" errors into routine ones.
    """
    FIX_SAFETY = _FIX_SAFETY_201
    KNOWN_PROBLEMS = """
        The escape analysis is syntactic. A helper function that receives the connection
        as an argument and keeps a reference to it is not detected. Calls that hand their
        argument to a thread, an executor or a container are detected.
        Connections to `":memory:"` are not reported, even though a pool could share one
        of them deliberately. The database file operations and subclasses looked at are
        those of the same module (the path compared as written: `self.db_path`, `DB`,
        `Path(DB)`); a file removed, replaced or copied from another module, or a path
        reassigned by a subclass in another module, is not seen.
    """

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        function = context.function
        if function is None or context.in_main_guard() or not is_sqlite_connect(node, context.imports):
            return
        if _is_pool_module(context):
            return  # the configured pool is where connections are meant to be opened
        args = connect_args(node)
        if args.private or _private_constant(context, function, args.path):
            return
        site = classify_connect(context, node, function)
        if site is None or connection_owned_elsewhere(context, site, function):
            return
        fix, reason = None, args.blocker or site.reason
        if reason is None:
            fix, reason = pooled_connection_fix(context, site, args.path, args.dropped, function)
        if fix is not None:
            # the statements could move into a checkout; would the pooled connection hold the same data?
            data = pool_data_blocker(context, function, site.conn, args.path)
            if data is not None:
                fix, reason = None, data
        # the window: this connection's statements, which another connection's write lock can block
        window = WindowNodes(check=node, act=node, hold_call=node, exposure=GilExposure.GIL)
        self.report(node, self.MESSAGE, fix=fix, no_fix_reason=reason, window=window)

    VALID = [
        Valid(
            """
            import sqlite3

            def open_db(path):
                return sqlite3.connect(path)  # a factory: the caller owns the connection
            """
        ),
        Valid(
            """
            import sqlite3

            DB = sqlite3.connect("app.db")  # module level: one connection, created at import

            def memory_scratch(rows):
                conn = sqlite3.connect(":memory:")  # a private database per call is the point
                conn.executemany("INSERT INTO t VALUES (?)", rows)
                conn.close()
            """
        ),
        Valid(
            """
            import socket

            class Client:
                def open(self, host):
                    sock = socket.socket()
                    sock.connect((host, 80))
                    return self.connect()
            """
        ),
        Valid(
            """
            import sqlite3

            if __name__ == "__main__":
                conn = sqlite3.connect("demo.db")
                print(conn.execute("SELECT 1").fetchone())
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sqlite3

            class History:
                def __init__(self, db_path):
                    self.db_path = db_path

                def count(self):
                    conn = sqlite3.connect(self.db_path)
                    total = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
                    conn.close()
                    return total
            """,
            line=8,
            unsafe=True,
            expected_fix="""
            from cortex.utils.db_pool import get_connection_pool

            class History:
                def __init__(self, db_path):
                    self.db_path = db_path
                    self._pool = get_connection_pool(self.db_path)

                def count(self):
                    with self._pool.get_connection() as conn:
                        total = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
                    return total
            """,
        ),
        Invalid(
            """
            from sqlite3 import connect as open_db

            def save(path, key, value):
                with open_db(path, timeout=5) as conn:
                    conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
            """,
            line=4,
            unsafe=True,
            expected_fix="""
            from cortex.utils.db_pool import get_connection_pool

            def save(path, key, value):
                with get_connection_pool(path).get_connection() as conn:
                    conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
            """,
        ),
    ]


def _is_pool_module(context: LintContext) -> bool:
    module = context.config.sqlite_pool.partition(":")[0]
    suffix = module.replace(".", "/")
    path = context.path.replace("\\", "/")
    return path.endswith(f"{suffix}.py") or path.endswith(f"{suffix}/__init__.py")


def _private_constant(context: LintContext, function: cst.FunctionDef, path: Optional[cst.BaseExpression]) -> bool:
    """`db = ":memory:"` (the only binding of `db` in the function, or a module constant)."""
    if not isinstance(path, cst.Name):
        return False
    values = [
        node.value
        for node, _ in walk(function.body)
        if isinstance(node, cst.Assign) and any(dotted_name(t.target) == path.value for t in node.targets)
    ]
    if not values:
        stmt = context.module_assignments.get(path.value)
        if isinstance(stmt, cst.SimpleStatementLine):
            values = [
                small.value
                for small in stmt.body
                if isinstance(small, cst.Assign) and any(dotted_name(t.target) == path.value for t in small.targets)
            ]
    return len(values) == 1 and isinstance(values[0], cst.SimpleString) and values[0].evaluated_value in (":memory:", "")
