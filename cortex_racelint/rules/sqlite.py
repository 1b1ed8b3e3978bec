"""CRL2xx: sqlite3 connections opened per call, and connections shared without a lock.

CRL201 finds `sqlite3.connect(...)` inside functions and rewrites each per-call
connection into a checkout from a connection pool, `with <pool>.get_connection() as
conn:`, wrapping exactly the statements that used it. `analysis.sqlite_usage` decides
whether that is safe (no use of the connection or its cursors after the block); when it
is not, the finding carries a `no_fix_reason` instead of a fix.

CRL202 finds one `check_same_thread=False` connection kept on an object (or a module
global) and used from methods without a lock, and wraps the statements that use it in
`with self._lock:` (`codemods.instance_lock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import libcst as cst

from ..analysis.context import LintContext, function_globals
from ..analysis.names import dotted_name
from ..analysis.sqlite_usage import (
    AFTER,
    NodeOrder,
    check_region,
    collect_aliases,
    is_closing,
    is_sqlite_connect,
    references,
    value_escape,
    walk,
)
from ..fixes.blocks import block_statements, with_lock
from ..fixes.locks import instance_lock, lock_name_for, module_lock
from ..ftypes import FixApplicability, GilExposure
from ..rule import AddImport, Fix, InsertStatement, Invalid, ModuleEdit, Rule, Valid, WindowNodes

# -- connect() arguments -------------------------------------------------------
_DROPPED_KEYWORDS = {"timeout", "cached_statements"}
_BLOCKING_KEYWORDS = {
    "detect_types": "`detect_types=` changes how column values are converted, and pooled connections are opened without it",
    "isolation_level": "`isolation_level=` changes transaction handling; pooled connections use the default and commit on exit",
    "autocommit": "`autocommit=` changes transaction handling; pooled connections use the default and commit on exit",
    "check_same_thread": "`check_same_thread=` is set, so the connection is meant to be handled across threads deliberately",
    "factory": "a custom connection `factory=` would be lost in the pool",
}


@dataclass
class ConnectArgs:
    path: Optional[cst.BaseExpression] = None
    dropped: list[str] = field(default_factory=list)
    blocker: Optional[str] = None
    private: bool = False  # ":memory:" / "": a private database per connection


def connect_args(call: cst.Call) -> ConnectArgs:
    result = ConnectArgs()
    positional = []
    for arg in call.args:
        if arg.star:
            result.blocker = "arguments are passed with `*`/`**`, so the fix cannot tell which settings are lost"
            continue
        if arg.keyword is None:
            positional.append(arg.value)
            continue
        key = arg.keyword.value
        if key == "database":
            result.path = arg.value
        elif key in _DROPPED_KEYWORDS:
            result.dropped.append(key)
        elif key == "uri":
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "False"):
                result.blocker = result.blocker or (
                    "`uri=` paths (query parameters such as `mode=ro`) are not understood by the pool"
                )
        elif key in _BLOCKING_KEYWORDS:
            result.blocker = result.blocker or _BLOCKING_KEYWORDS[key]
        else:
            result.blocker = result.blocker or f"unknown argument `{key}=`"
    if positional:
        result.path = positional[0]
    if len(positional) >= 2:
        result.dropped.append("timeout")
    if len(positional) >= 3:
        result.blocker = result.blocker or (
            "positional arguments after `timeout` (detect_types, isolation_level, ...) change the connection"
        )
    if result.path is None:
        result.blocker = result.blocker or "the database path is not given"
    elif isinstance(result.path, cst.SimpleString) and result.path.evaluated_value in (":memory:", ""):
        result.private = True
    return result


# -- small CST helpers -------------------------------------------------------------
def _is_call_on(stmt: cst.CSTNode, name: str, method: str) -> bool:
    """`name.method()` as a whole statement line."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and not small.value.args
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == method
        and isinstance(small.value.func.value, cst.Name)
        and small.value.func.value.value == name
    )


def _tests_presence(test: cst.BaseExpression, name: str) -> bool:
    """`if conn:` / `if conn is not None:`."""
    if isinstance(test, cst.Name):
        return test.value == name
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return (
            isinstance(test.left, cst.Name)
            and test.left.value == name
            and isinstance(target.operator, cst.IsNot)
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value == "None"
        )
    return False


def is_close_stmt(stmt: cst.CSTNode, conn: str) -> bool:
    """`conn.close()`, or `if conn: conn.close()` / `if conn is not None: conn.close()`."""
    if _is_call_on(stmt, conn, "close"):
        return True
    if isinstance(stmt, cst.If) and stmt.orelse is None and _tests_presence(stmt.test, conn):
        body = suite_lines(stmt.body)
        return bool(body) and all(_is_call_on(s, conn, "close") for s in body)
    return False


def _is_close_small(small: cst.BaseSmallStatement, conn: str) -> bool:
    """`conn.close()` as one statement of a line (`finally: conn.close()`)."""
    return _is_call_on(cst.SimpleStatementLine(body=[small]), conn, "close")


def suite_lines(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """A suite's statements as full lines, so `finally: conn.close()` reads like its indented form."""
    return block_statements(suite)[0]


def _header_comments(suite: cst.BaseSuite) -> list[cst.EmptyLine]:
    """Comments after an indented block's colon (a one-line suite keeps its comment on its line)."""
    return comment_lines(suite.header) if isinstance(suite, cst.IndentedBlock) else []


def _footer(suite: cst.BaseSuite) -> list[cst.EmptyLine]:
    return list(suite.footer) if isinstance(suite, cst.IndentedBlock) else []


def _indented(
    suite: cst.BaseSuite, body: Sequence[cst.BaseStatement], footer: Optional[Sequence[cst.EmptyLine]] = None
) -> cst.IndentedBlock:
    """`suite` holding `body`: an indented block stays one, a one-line suite becomes one."""
    if isinstance(suite, cst.IndentedBlock):
        block = suite.with_changes(body=list(body))
    else:
        block = cst.IndentedBlock(body=list(body))
    return block if footer is None else block.with_changes(footer=list(footer))


def _ends_with_raise(stmts: Sequence[cst.CSTNode]) -> bool:
    last = stmts[-1] if stmts else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Raise)


def _calls_rollback(stmts: Sequence[cst.CSTNode], conn: str) -> bool:
    for stmt in stmts:
        for node, _ in walk(stmt):
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "rollback"
                and dotted_name(node.func.value) == conn
            ):
                return True
    return False


def comment_lines(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """Every comment inside `node`, as standalone lines (to keep them when it is removed)."""
    return [cst.EmptyLine(comment=cst.Comment(n.value)) for n, _ in walk(node) if isinstance(n, cst.Comment)]


def _strip_blank_leading(stmt: cst.BaseStatement) -> cst.BaseStatement:
    """Drop blank lines (not comments) at the top of a statement that starts a block."""
    lines = list(stmt.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return stmt.with_changes(leading_lines=lines)


def _pass_line(leading: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=list(leading))


def _binds_at_top(stmt: cst.CSTNode, name: str) -> bool:
    """Does this statement (of the same block) bind `name` again?"""
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign) and any(dotted_name(t.target) == name for t in small.targets):
                return True
            if isinstance(small, cst.AnnAssign) and dotted_name(small.target) == name and small.value is not None:
                return True
    if isinstance(stmt, cst.With):
        return any(i.asname is not None and dotted_name(i.asname.name) == name for i in stmt.items)  # type: ignore[arg-type]
    return False


class _CloseRewriter(cst.CSTTransformer):
    """Inside the new `with` block, `conn.close()` goes away (the pool returns the connection).

    A close in an `except` handler that swallows the error becomes `conn.rollback()`:
    closing discarded the failed transaction, and the pool would otherwise commit it.
    Comments of removed statements move to the next statement (or the block's end).
    """

    def __init__(self, conn: str) -> None:
        super().__init__()
        self.conn = conn
        self.handlers: list[cst.CSTNode] = []
        self.changed = False
        self.carried: list[cst.EmptyLine] = []  # comments of removed handlers

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.handlers.append(node)

    def leave_ExceptHandler(self, original_node, updated_node):
        self.handlers.pop()
        return updated_node

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.handlers.append(node)

    def leave_ExceptStarHandler(self, original_node, updated_node):
        self.handlers.pop()
        return updated_node

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try):
        """Drop trailing handlers left as a bare `raise` (they only existed to close)."""
        if updated_node.deep_equals(original_node):
            return updated_node
        handlers = list(updated_node.handlers)
        while handlers and _only_reraises(handlers[-1].body) and not _only_reraises(
            original_node.handlers[len(handlers) - 1].body
        ):
            handlers.pop()
        if len(handlers) == len(updated_node.handlers):
            return updated_node
        if handlers:
            return updated_node.with_changes(handlers=handlers)
        stmts = [*suite_lines(updated_node.body), *(suite_lines(updated_node.orelse.body) if updated_node.orelse else [])]
        if updated_node.finalbody is not None:
            return updated_node.with_changes(handlers=[], orelse=None, finalbody=updated_node.finalbody).with_changes(
                body=_indented(updated_node.body, stmts)
            )
        stmts[0] = stmts[0].with_changes(
            leading_lines=[
                *updated_node.leading_lines,
                *_header_comments(updated_node.body),
                *stmts[0].leading_lines,
            ]
        )
        for handler in original_node.handlers:
            self.carried.extend(line for line in comment_lines(handler))
        return cst.FlattenSentinel(stmts)

    def _swallowing(self) -> bool:
        """Inside an `except` handler that does not end by re-raising."""
        handler = self.handlers[-1] if self.handlers else None
        return handler is not None and not _ends_with_raise(suite_lines(handler.body))  # type: ignore[attr-defined]

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite):
        """`except E: conn.close()` / `if x: conn.close()` on one line, as `leave_IndentedBlock` does."""
        if not any(_is_close_small(small, self.conn) for small in updated_node.body):
            return updated_node
        self.changed = True
        swallowing = self._swallowing()
        body: list[cst.BaseSmallStatement] = []
        for small in updated_node.body:
            if not _is_close_small(small, self.conn):
                body.append(small)
            elif swallowing:
                rollback = cst.parse_statement(f"{self.conn}.rollback()\n")
                assert isinstance(rollback, cst.SimpleStatementLine)
                body.append(rollback.body[0].with_changes(semicolon=small.semicolon))
        if not body:
            body = [cst.Pass()]
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(body=body)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock):
        swallowing = self._swallowing()
        body: list[cst.BaseStatement] = []
        pending: list[cst.EmptyLine] = []
        for stmt in updated_node.body:
            if not is_close_stmt(stmt, self.conn):
                if pending:
                    stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
                    pending = []
                body.append(stmt)
                continue
            self.changed = True
            if swallowing:
                rollback = cst.parse_statement(f"{self.conn}.rollback()\n")
                assert isinstance(rollback, cst.SimpleStatementLine)
                if isinstance(stmt, cst.SimpleStatementLine):
                    rollback = rollback.with_changes(
                        leading_lines=[*pending, *stmt.leading_lines], trailing_whitespace=stmt.trailing_whitespace
                    )
                else:
                    rollback = rollback.with_changes(leading_lines=[*pending, *comment_lines(stmt)])
                pending = []
                body.append(rollback)
            else:
                pending.extend(comment_lines(stmt))
        if body == list(updated_node.body):
            return updated_node
        if not body:
            body = [_pass_line()]
        return updated_node.with_changes(body=body, footer=[*pending, *updated_node.footer])


def _only_reraises(block: cst.BaseSuite) -> bool:
    body = suite_lines(block)
    return (
        len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and isinstance(body[0].body[0], cst.Raise)
        and body[0].body[0].exc is None
    )


def rewrite_closes(stmts: Sequence[cst.BaseStatement], conn: str) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """`stmts` with the connection's closes removed, plus comments left over at the end."""
    block = cst.IndentedBlock(body=list(stmts))
    rewriter = _CloseRewriter(conn)
    rewritten = block.visit(rewriter)
    assert isinstance(rewritten, cst.IndentedBlock)
    return list(rewritten.body), [*rewritten.footer, *rewriter.carried]


def _pooled_with(
    pool_call: cst.BaseExpression,
    conn: str,
    body: Sequence[cst.BaseStatement],
    footer: Sequence[cst.EmptyLine] = (),
    leading: Sequence[cst.EmptyLine] = (),
    header: Optional[cst.TrailingWhitespace] = None,
) -> cst.With:
    stmts = list(body) or [_pass_line()]
    stmts[0] = _strip_blank_leading(stmts[0])
    block = cst.IndentedBlock(body=stmts, footer=list(footer))
    if header is not None:
        block = block.with_changes(header=header)
    return cst.With(
        items=[cst.WithItem(item=pool_call, asname=cst.AsName(name=cst.Name(conn)))],
        body=block,
        leading_lines=list(leading),
    )


def _init_method(class_node: cst.ClassDef) -> Optional[cst.FunctionDef]:
    if isinstance(class_node.body, cst.IndentedBlock):
        for stmt in class_node.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                return stmt
    return None


def _self_attr(expr: cst.CSTNode) -> Optional[str]:
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return expr.attr.value
    return None


def _assigned_self_attrs(stmt: cst.CSTNode) -> list[tuple[str, cst.BaseExpression]]:
    """`(attr, value)` for each `self.attr = value` small statement of a statement line."""
    found = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    attr = _self_attr(target.target)
                    if attr:
                        found.append((attr, small.value))
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                attr = _self_attr(small.target)
                if attr and small.value is not None:
                    found.append((attr, small.value))
    return found


# -- CRL201 -----------------------------------------------------------------------
@dataclass
class _Site:
    shape: str  # "assign" | "with" | "closing" | "other"
    conn: Optional[str] = None
    stmt: Optional[cst.CSTNode] = None  # the assignment line, or the `with`
    block: Optional[cst.IndentedBlock] = None
    with_item: Optional[cst.WithItem] = None
    reason: Optional[str] = None
    outer: Optional[cst.Try] = None  # `try:` whose body opens the connection (`finally: if conn: conn.close()`)


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
      assignment). A later reassignment of the attribute elsewhere makes the fix
      build the pool at the call site instead.
    - The pool factory comes from `[tool.racelint] sqlite-pool` (default
      `cortex.utils.db_pool:get_connection_pool`). The fix is offered even when that
      module does not exist yet in the project.

    No fix is offered when the connection or a cursor made from it could be used
    after the block returns it to the pool: returned, yielded, stored on `self` or
    in a container, passed to a thread or executor, captured by a nested function,
    lambda or lazy generator expression, used after the statements that would be
    wrapped, assigned in a branch and used outside it, held across a `yield`. No fix
    either when an `except` handler uses the connection and swallows the error without
    rolling back (the pool would commit the partial transaction). The finding says why.
"""


class PerCallConnection(Rule):
    CODE = "CRL201"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.imports_sqlite and "connect" in facts.called_names
    NAME = "per-call-sqlite-connection"
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
        of them deliberately.
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
        site = _classify(context, node, function)
        if site is None:
            return
        fix, reason = None, args.blocker or site.reason
        if reason is None:
            fix, reason = self._fix(node, site, args, function)
        # the window: this connection's statements, which another connection's write lock can block
        window = WindowNodes(check=node, act=node, hold_call=node, exposure=GilExposure.GIL)
        self.report(node, self.MESSAGE, fix=fix, no_fix_reason=reason, window=window)

    # -- the fix ------------------------------------------------------------
    def _fix(self, node: cst.Call, site: _Site, args: ConnectArgs, function: cst.FunctionDef):
        assert args.path is not None
        pool_call, edits, pool_text = self._pool(args.path, function)
        order = NodeOrder(function)
        loops = [
            a
            for a in self.context.ancestors[self.context.ancestors.index(function) + 1 :]
            if isinstance(a, (cst.For, cst.While))
        ]
        if site.shape == "assign":
            planned = _plan_assign(function, order, site, pool_call, loops)
        else:
            planned = _plan_with(function, order, site, pool_call, loops)
        if isinstance(planned, str):
            return None, planned
        conn = site.conn or "conn"
        message = f"Check the connection out of a pool: `with {pool_text}.get_connection() as {conn}:`"
        if args.dropped:
            message += f" (drops `{'`, `'.join(args.dropped)}`: the pool sets its own busy timeout)"
        return Fix(message, planned, edits, FixApplicability.UNSAFE), None

    def _pool(self, path: cst.BaseExpression, function: cst.FunctionDef):
        """The pool expression, the module edits it needs, and how it reads."""
        context = self.context
        module, _, factory = context.config.sqlite_pool.partition(":")
        local = context.imports.local_name_for(f"{module}.{factory}")
        import_edits: list[ModuleEdit] = []
        if local is None:
            local = factory
            import_edits.append(AddImport(module, factory))
        attribute = _self_attr(path)
        class_node = context.class_
        params = function.params.params
        if attribute and class_node is not None and params and params[0].name.value == "self":
            planned = _instance_pool(context, class_node, attribute, local, module, factory)
            if planned is not None:
                name, insert = planned
                receiver = cst.Attribute(value=cst.Name("self"), attr=cst.Name(name))
                edits = [*import_edits, insert] if insert is not None else []
                return _get_connection(receiver), edits, f"self.{name}"
        receiver = cst.Call(func=cst.parse_expression(local), args=[cst.Arg(value=path.deep_clone())])
        text = f"{local}({context.module.code_for_node(path)})"
        return _get_connection(receiver), import_edits, text

    VALID = [
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
        Invalid(
            """
            import sqlite3

            def open_db(path):
                return sqlite3.connect(path)  # no fix: the caller decides the lifetime
            """,
            line=4,
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


def _get_connection(receiver: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name("get_connection")))


def _classify(context: LintContext, node: cst.Call, function: cst.FunctionDef) -> Optional[_Site]:
    """The shape a connect call appears in; None when it is not a per-call connection."""
    ancestors = context.ancestors
    parent = ancestors[-2]
    grand = ancestors[-3] if len(ancestors) >= 3 else None
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if any(not isinstance(t, cst.Name) or t.value in function_globals(function) for t in targets):
            if all(not isinstance(t, (cst.Tuple, cst.List)) for t in targets):
                return None  # stored on an object or in a global: not a per-call connection
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return _Site("other", reason="the connection is bound to several names at once")
        block = ancestors[-4] if len(ancestors) >= 4 else None
        if not (isinstance(grand, cst.SimpleStatementLine) and isinstance(block, cst.IndentedBlock)):
            return _Site("other", reason="the connection is opened on a one-line block")
        if len(grand.body) != 1:
            return _Site("other", reason="the connection is opened in a line holding several statements")
        outer = ancestors[-5] if len(ancestors) >= 5 else None
        outer = outer if isinstance(outer, cst.Try) and outer.body is block else None
        return _Site("assign", conn=targets[0].value, stmt=grand, block=block, outer=outer)
    if isinstance(parent, cst.WithItem) and parent.item is node:
        return _with_site(parent, grand, "with")
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and is_closing(grand, context.imports):
        item = ancestors[-4] if len(ancestors) >= 4 else None
        if isinstance(item, cst.WithItem) and item.item is grand and len(grand.args) == 1:
            return _with_site(item, ancestors[-5], "closing")
        return _Site("other", reason="`closing(...)` is not used as a `with` item")
    if isinstance(parent, cst.Return):
        return _Site(
            "other",
            reason="the connection is returned to the caller, which decides its lifetime: make the callers use the pool",
        )
    return _Site("other", reason="the connection is not bound to a local name, so the statements using it are unknown")


def _with_site(item: cst.WithItem, with_node: cst.CSTNode, shape: str) -> _Site:
    assert isinstance(with_node, cst.With)
    if item.asname is not None and not isinstance(item.asname.name, cst.Name):
        return _Site("other", reason="the connection is bound to a pattern, not a name")
    if not isinstance(with_node.body, cst.IndentedBlock):
        return _Site("other", reason="the `with` body is on the same line")
    conn = item.asname.name.value if item.asname is not None else None  # type: ignore[union-attr]
    return _Site(shape, conn=conn, stmt=with_node, with_item=item)


def _instance_pool(
    context: LintContext, class_node: cst.ClassDef, attribute: str, local: str, module: str, factory: str
) -> Optional[tuple[str, Optional[InsertStatement]]]:
    """`(pool attribute, edit creating it or None)` for a path attribute set in `__init__`."""
    init = _init_method(class_node)
    if init is None:
        return None
    qualified = f"{module}.{factory}"
    anchor = None
    existing: dict[str, str] = {}  # path attribute -> pool attribute created from it
    for stmt in init.body.body:
        for attr, value in _assigned_self_attrs(stmt):
            if attr == attribute:
                anchor = stmt
            if isinstance(value, cst.Call) and context.imports.qualify_call(value) == qualified and value.args:
                source = _self_attr(value.args[0].value)
                if source:
                    existing[source] = attr
    if anchor is None:
        return None
    # the path must not change after __init__: any other assignment -> pool at the call site
    assigned_elsewhere = False
    pool_names_taken: set[str] = set()
    path_attributes = set(existing)
    for node, parents in walk(class_node.body):
        if isinstance(node, cst.Call) and is_sqlite_connect(node, context.imports) and node.args:
            source = _self_attr(node.args[0].value)
            if source:
                path_attributes.add(source)
        for attr, _ in _assigned_self_attrs(node) if isinstance(node, cst.SimpleStatementLine) else ():
            pool_names_taken.add(attr)
            if attr == attribute and not (parents and parents[-1] is init.body):
                assigned_elsewhere = True
    if assigned_elsewhere:
        return None
    if attribute in existing:
        return existing[attribute], None
    name = "_pool" if len(path_attributes) <= 1 else f"_{attribute.strip('_')}_pool"
    if name in pool_names_taken:
        name = f"_{attribute.strip('_')}_pool"
        if name in pool_names_taken:
            return None
    code = f"self.{name} = {local}(self.{attribute})\n"
    return name, InsertStatement(anchor, code, f"sqlitepool:{class_node.name.value}.{name}")


def _plan_assign(
    function: cst.FunctionDef, order: NodeOrder, site: _Site, pool_call: cst.Call, loops: list
) -> dict | str:
    """`conn = connect(...)` ... `conn.close()` / `try: ... finally: conn.close()` / never closed."""
    conn, stmt, block = site.conn, site.stmt, site.block
    assert conn is not None and isinstance(stmt, cst.SimpleStatementLine) and block is not None
    index = next(i for i, s in enumerate(block.body) if s is stmt)
    segment = []
    for later in block.body[index + 1 :]:
        if _binds_at_top(later, conn):
            break
        segment.append(later)
    close_at = None
    for position, later in enumerate(segment):
        if is_close_stmt(later, conn) or (
            isinstance(later, cst.Try)
            and later.finalbody is not None
            and any(is_close_stmt(s, conn) for s in suite_lines(later.finalbody.body))
        ):
            close_at = position
            break
    if close_at is not None:
        region = segment[: close_at + 1]
    elif site.outer is not None and site.outer.finalbody is not None and any(
        is_close_stmt(s, conn) for s in suite_lines(site.outer.finalbody.body)
    ):
        return _plan_outer_try(function, order, site, pool_call, loops, index)
    else:
        aliases = collect_aliases(segment, conn)
        using = [i for i, s in enumerate(segment) if references([s], aliases)]
        if not using:
            if references([function.body], {conn}) and _used_outside(function, block, conn):
                return (
                    f"`{conn}` is opened inside a block (an `if` branch, a loop body, a `try`) and used "
                    "outside it, so no single block can hold the checkout"
                )
            return "the connection is never used in the block that opens it"
        region = segment[: using[-1] + 1]
    extent = (order.start(stmt), order.end(region[-1]))
    verdict = check_region(function, order, conn, region, extent, loops)
    if verdict.problem:
        return verdict.problem
    last = region[-1]
    leading = list(stmt.leading_lines)
    header = stmt.trailing_whitespace if stmt.trailing_whitespace.comment is not None else None
    replacements: dict = {s: cst.RemoveFromParent() for s in region}
    if close_at is not None and is_close_stmt(last, conn):
        body, footer = rewrite_closes(region[:-1], conn)
        footer += comment_lines(last)
        replacements[stmt] = _pooled_with(pool_call, conn, body, footer, leading, header)
        return replacements
    if close_at is None:
        body, footer = rewrite_closes(region, conn)
        replacements[stmt] = _pooled_with(pool_call, conn, body, footer, leading, header)
        return replacements
    # try: ... finally: conn.close()
    assert isinstance(last, cst.Try) and last.finalbody is not None
    planned = _plan_try(conn, region[:-1], last, pool_call, verdict.aliases, leading, header)
    if isinstance(planned, str):
        return planned
    replacements[stmt] = planned
    return replacements


def _plan_outer_try(
    function: cst.FunctionDef, order: NodeOrder, site: _Site, pool_call: cst.Call, loops: list, index: int
) -> dict | str:
    """`conn = None` / `try: conn = connect(...); ...` / `finally: if conn: conn.close()`."""
    conn, stmt, block, outer = site.conn, site.stmt, site.block, site.outer
    assert conn is not None and isinstance(stmt, cst.SimpleStatementLine) and block is not None
    assert outer is not None and outer.finalbody is not None
    rest = list(block.body[index + 1 :])
    final_lines = suite_lines(outer.finalbody.body)
    closes = [s for s in final_lines if is_close_stmt(s, conn)]
    kept = [s for s in final_lines if not is_close_stmt(s, conn)]
    verdict = check_region(function, order, conn, [*rest, *closes], (order.start(stmt), order.end(outer)), loops)
    if verdict.problem:
        return verdict.problem
    others = [*outer.handlers, *([outer.orelse] if outer.orelse else []), *kept]
    if references(others, verdict.aliases):
        return (
            f"an `except`, `else` or `finally` clause uses `{conn}` after the statements that would be wrapped, "
            "when the connection would already be back in the pool"
        )
    body, footer = rewrite_closes(rest, conn)
    header = stmt.trailing_whitespace if stmt.trailing_whitespace.comment is not None else None
    carried = [line for s in closes for line in comment_lines(s)]
    if not kept:
        final_node = outer.finalbody
        carried = [
            *[e for line in final_node.leading_lines for e in comment_lines(line)],
            *_header_comments(final_node.body),
            *carried,
            *_footer(final_node.body),
        ]
    in_with = [*footer, *carried] if not (outer.handlers and not kept) else footer
    pooled = _pooled_with(pool_call, conn, body, in_with, stmt.leading_lines, header)
    new_body = [*block.body[:index], pooled]
    if kept:
        final = outer.finalbody.with_changes(body=_indented(outer.finalbody.body, kept))
    elif outer.handlers:
        new_outer = outer.with_changes(body=block.with_changes(body=new_body), finalbody=None)
        return {outer: _append_to_last_clause(new_outer, carried)}
    else:
        first = new_body[0]
        new_body[0] = first.with_changes(
            leading_lines=[*outer.leading_lines, *_header_comments(outer.body), *first.leading_lines]
        )
        return {outer: cst.FlattenSentinel(new_body)}
    return {outer: outer.with_changes(body=block.with_changes(body=new_body), finalbody=final)}


def _append_to_last_clause(node: cst.Try, lines: Sequence[cst.EmptyLine]) -> cst.Try:
    """Comments that followed the try body (a removed `finally:`) go after the last clause."""
    if not lines:
        return node
    if node.orelse is not None:
        block = node.orelse.body
        return node.with_changes(
            orelse=node.orelse.with_changes(body=_indented(block, suite_lines(block), [*_footer(block), *lines]))
        )
    handlers = list(node.handlers)
    last = handlers[-1]
    block = last.body
    handlers[-1] = last.with_changes(body=_indented(block, suite_lines(block), [*_footer(block), *lines]))
    return node.with_changes(handlers=handlers)


def _used_outside(function: cst.FunctionDef, block: cst.IndentedBlock, conn: str) -> bool:
    inside = {id(n) for n, _ in walk(block)}
    return any(isinstance(n, cst.Name) and n.value == conn and id(n) not in inside for n, _ in walk(function.body))


def _plan_try(
    conn: str,
    before: Sequence[cst.BaseStatement],
    node: cst.Try,
    pool_call: cst.Call,
    aliases: set[str],
    leading: list,
    header: Optional[cst.TrailingWhitespace],
) -> cst.BaseStatement | str:
    assert node.finalbody is not None
    final = node.finalbody
    final_lines = suite_lines(final.body)
    kept = [s for s in final_lines if not is_close_stmt(s, conn)]
    carried: list[cst.EmptyLine] = []
    for s in final_lines:
        if is_close_stmt(s, conn):
            carried += comment_lines(s)
    if kept:
        kept[0] = kept[0].with_changes(leading_lines=[*carried, *kept[0].leading_lines])
        carried = []
        new_final = final.with_changes(body=_indented(final.body, kept))
    else:
        carried = [e for line in final.leading_lines for e in comment_lines(line)] + _header_comments(final.body) + carried
        carried += _footer(final.body)
        new_final = None
    pre, pre_tail = rewrite_closes(before, conn)
    if not node.handlers and new_final is None:
        # the try only closed: unwrap it
        inner, inner_tail = rewrite_closes(suite_lines(node.body), conn)
        lines = [*node.leading_lines, *_header_comments(node.body)]
        if inner:
            inner[0] = inner[0].with_changes(leading_lines=[*lines, *inner[0].leading_lines])
        footer = [*pre_tail, *inner_tail, *_footer(node.body), *carried]
        return _pooled_with(pool_call, conn, [*pre, *inner], footer, leading, header)
    trimmed = node.with_changes(finalbody=new_final)
    # closes elsewhere (handlers, early exits)
    rewritten_list, tail = rewrite_closes([trimmed], conn)
    footer = [*carried, *tail]
    if len(rewritten_list) != 1 or not isinstance(rewritten_list[0], cst.Try):
        # the handlers only closed and re-raised: they are gone with the try
        return _pooled_with(pool_call, conn, [*pre, *rewritten_list], [*pre_tail, *footer], leading, header)
    rewritten = rewritten_list[0]
    handlers_safe = all(
        _ends_with_raise(suite_lines(h.body)) or _calls_rollback(suite_lines(h.body), conn) for h in rewritten.handlers
    )
    if handlers_safe:
        return _pooled_with(pool_call, conn, [*pre, rewritten], [*pre_tail, *footer], leading, header)
    uses_in_handlers = references([*rewritten.handlers, *([rewritten.orelse] if rewritten.orelse else [])], aliases)
    if not uses_in_handlers and not before:
        # the pool rolls back before the handler runs, as closing did after it
        inner_with = _pooled_with(pool_call, conn, suite_lines(rewritten.body), _footer(rewritten.body), (), header)
        layout = rewritten.with_changes(
            body=_indented(rewritten.body, [inner_with], []),
            leading_lines=[*leading, *rewritten.leading_lines],
        )
        return _append_to_last_clause(layout, footer)
    return (
        "an `except` handler uses the connection and swallows the error without rolling back: "
        "the pool would commit the partial transaction"
    )


def _plan_with(
    function: cst.FunctionDef, order: NodeOrder, site: _Site, pool_call: cst.Call, loops: list
) -> dict | str:
    """`with sqlite3.connect(...) as conn:` / `with closing(sqlite3.connect(...)) as conn:`."""
    node, item, conn = site.stmt, site.with_item, site.conn
    assert isinstance(node, cst.With) and isinstance(node.body, cst.IndentedBlock) and item is not None
    new_item = item.with_changes(item=pool_call)
    items = [new_item if i is item else i for i in node.items]
    if conn is None:
        return {node: node.with_changes(items=items)}
    body = node.body
    extent = (order.start(body), order.end(body))
    verdict = check_region(function, order, conn, list(body.body), extent, loops)
    if verdict.problem:
        if site.shape == "with" and AFTER in verdict.problem:
            return verdict.problem.replace(
                AFTER, "`with sqlite3.connect()` left the connection open there, but the pool would already have it back"
            )
        return verdict.problem
    stmts, tail = rewrite_closes(body.body, conn)
    new_body = body.with_changes(body=stmts, footer=[*tail, *body.footer])
    return {node: node.with_changes(items=items, body=new_body)}


# -- CRL202 -----------------------------------------------------------------------
def _shares_thread_unsafely(call: cst.CSTNode, context: LintContext) -> bool:
    if not (isinstance(call, cst.Call) and is_sqlite_connect(call, context.imports)):
        return False
    return any(
        a.keyword is not None
        and a.keyword.value == "check_same_thread"
        and isinstance(a.value, cst.Name)
        and a.value.value == "False"
        for a in call.args
    )


def _rooted(expr: cst.CSTNode, is_root, aliases: set[str]) -> bool:
    """The shared connection itself, a local alias, or a cursor derived from either."""
    if is_root(expr):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in aliases
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
        "cursor",
        "execute",
        "executemany",
        "executescript",
    ):
        return _rooted(expr.func.value, is_root, aliases)
    return False


def _own_walk(node: cst.CSTNode, parents: tuple = ()):
    yield node, parents
    if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and parents:
        return
    for child in node.children:
        yield from _own_walk(child, (*parents, node))


class SharedConnectionWithoutLock(Rule):
    CODE = "CRL202"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.imports_sqlite and "connect" in facts.called_names
    NAME = "shared-sqlite-connection-without-lock"
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
            shared = set()
            for node, _ in walk(class_node.body):
                if isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, self.context):
                    for target in node.targets:
                        attr = _self_attr(target.target)
                        if attr:
                            shared.add(attr)
            self._classes[key] = shared
        return self._classes[key]

    def _shared_globals(self) -> set[str]:
        if self._globals is None:
            shared = set()
            for node, parents in walk(self.context.module):
                if isinstance(node, cst.Assign) and _shares_thread_unsafely(node.value, self.context):
                    function = next((p for p in reversed(parents) if isinstance(p, cst.FunctionDef)), None)
                    declared = function_globals(function) if function is not None else None
                    for target in node.targets:
                        if isinstance(target.target, cst.Name) and (
                            declared is None or target.target.value in declared
                        ):
                            shared.add(target.target.value)
            self._globals = shared
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
                return _self_attr(expr) in shared

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
            for node, _ in _own_walk(function.body):
                if isinstance(node, cst.Assign) and _rooted(node.value, is_root, aliases):
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
        fix, reason = self._fix(function, class_node, uses, name)
        self.report(first, message, fix=fix, no_fix_reason=reason)

    def _root_names(self, class_node) -> set[str]:
        if class_node is not None:
            return self._shared_attributes(class_node) or {"?"}
        return self._shared_globals() or {"?"}

    def _fix(self, function: cst.FunctionDef, class_node, uses, name: str):
        # the minimal statement (directly in an indented block) around each use
        statements: dict[int, tuple[cst.CSTNode, cst.IndentedBlock, tuple]] = {}
        for node, parents in uses:
            chain = (*parents, node)
            for position in range(len(chain) - 1, 0, -1):
                candidate, holder = chain[position], chain[position - 1]
                if isinstance(holder, cst.IndentedBlock) and isinstance(candidate, cst.BaseStatement):
                    statements.setdefault(id(candidate), (candidate, holder, chain[:position]))
                    break
            else:
                # `def put(self, k): self._conn.execute(...)`: no statement line to put under a lock
                return None, f"`{name}` is used in a one-line function body, which cannot hold a `with` block"
        # drop statements nested in another chosen statement
        chosen = {
            key: value
            for key, value in statements.items()
            if not any(id(p) in statements for p in value[2])
        }
        groups: dict[int, list] = {}
        for stmt, block, parents in chosen.values():
            groups.setdefault(id(block), [block, parents, []])[2].append(stmt)
        reentrant = self._lock_taking_methods(class_node) if class_node is not None else set()
        runs: list[tuple[cst.IndentedBlock, list[cst.BaseStatement]]] = []
        spans: list[cst.CSTNode] = []
        for block, parents, stmts in sorted(groups.values(), key=lambda g: len(g[1])):
            if any(any(p is s for s in spans) for p in parents):
                continue  # inside a statement another run already wraps
            indices = sorted(i for i, s in enumerate(block.body) if any(s is t for t in stmts))
            current: list[cst.BaseStatement] = []
            for i in range(indices[0], indices[-1] + 1):
                stmt = block.body[i]
                calls = self._calls_into(stmt, reentrant)
                if calls:
                    if any(stmt is t for t in stmts):
                        return None, (
                            f"`{calls}` is called in a statement that uses the connection, and it takes the same "
                            "lock: a plain Lock would deadlock"
                        )
                    if current:
                        runs.append((block, current))
                    current = []
                    continue
                current.append(stmt)
            if current:
                runs.append((block, current))
            spans.extend(s for s in block.body[indices[0] : indices[-1] + 1])
        runs = [(b, r) for b, r in runs if any(self._uses_in(s, uses) for s in r)]
        if class_node is not None:
            lock, edits = instance_lock(self.context, class_node)
        else:
            lock_name = lock_name_for(name)
            lock, edits = module_lock(self.context, lock_name, name)
        lock_text = self.context.module.code_for_node(lock)
        replacements: dict = {}
        for block, run in runs:
            first = run[0]
            index = next(i for i, s in enumerate(block.body) if s is first)
            previous = block.body[index - 1] if index else None
            if (
                isinstance(previous, cst.With)
                and len(previous.items) == 1
                and isinstance(previous.body, cst.IndentedBlock)
                and previous not in replacements
                and self.context.module.code_for_node(previous.items[0].item) == lock_text
            ):
                # right after a block holding the same lock: extend it instead of re-acquiring
                replacements[previous] = previous.with_changes(
                    body=previous.body.with_changes(body=[*previous.body.body, *run])
                )
                for stmt in run:
                    replacements[stmt] = cst.RemoveFromParent()
                continue
            body = [first.with_changes(leading_lines=[l for l in first.leading_lines if l.comment is not None]), *run[1:]]
            wrapped = with_lock(lock, body).with_changes(
                leading_lines=[l for l in first.leading_lines if l.comment is None]
            )
            replacements[first] = wrapped
            for other in run[1:]:
                replacements[other] = cst.RemoveFromParent()
        return Fix(f"Use `{name}` only while holding `{lock_text}`", replacements, edits, FixApplicability.UNSAFE), None

    @staticmethod
    def _uses_in(stmt: cst.CSTNode, uses) -> bool:
        ids = {id(n) for n, _ in uses}
        return any(id(n) in ids for n, _ in walk(stmt))

    def _lock_taking_methods(self, class_node: cst.ClassDef) -> set[str]:
        """Methods that use the shared connection (so take the lock after the fix), transitively."""
        shared = self._shared_attributes(class_node)
        methods = {
            s.name.value: s
            for s in (class_node.body.body if isinstance(class_node.body, cst.IndentedBlock) else ())
            if isinstance(s, cst.FunctionDef)
        }
        taking = {
            name
            for name, method in methods.items()
            if name not in ("__init__", "__new__", "__del__")
            and any(_self_attr(n) in shared for n, _ in _own_walk(method.body))
        }
        changed = True
        while changed:
            changed = False
            for name, method in methods.items():
                if name in taking:
                    continue
                if self._calls_into(method.body, taking):
                    taking.add(name)
                    changed = True
        return taking

    @staticmethod
    def _calls_into(node: cst.CSTNode, methods: set[str]) -> Optional[str]:
        for inner, _ in _own_walk(node):
            if isinstance(inner, cst.Call):
                attr = _self_attr(inner.func)
                if attr in methods:
                    return f"self.{attr}()"
        return None

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
