"""CRL201's fix, the closes: inside the pooled `with`, `conn.close()` goes away (the pool returns it).

Separate from the planning in `pooled_connection` because removing a close has its own
rules: a close in a swallowing `except` becomes a rollback, a `try` that only closed
unwraps, and the comments of every removed statement are kept.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst

from .blocks import block_statements


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


def header_comments(suite: cst.BaseSuite) -> list[cst.EmptyLine]:
    """Comments after an indented block's colon (a one-line suite keeps its comment on its line)."""
    return comment_lines(suite.header) if isinstance(suite, cst.IndentedBlock) else []


def indented_block(
    suite: cst.BaseSuite, body: Sequence[cst.BaseStatement], footer: Optional[Sequence[cst.EmptyLine]] = None
) -> cst.IndentedBlock:
    """`suite` holding `body`: an indented block stays one, a one-line suite becomes one."""
    if isinstance(suite, cst.IndentedBlock):
        block = suite.with_changes(body=list(body))
    else:
        block = cst.IndentedBlock(body=list(body))
    return block if footer is None else block.with_changes(footer=list(footer))


def ends_with_raise(stmts: Sequence[cst.CSTNode]) -> bool:
    last = stmts[-1] if stmts else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Raise)


def comment_lines(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """Every comment inside `node`, as standalone lines (to keep them when it is removed)."""
    return [cst.EmptyLine(comment=cst.Comment(n.value)) for n in _every_node(node) if isinstance(n, cst.Comment)]


def _every_node(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node, trivia included (`sqlite_usage.walk` skips comments)."""
    yield node
    for child in node.children:
        yield from _every_node(child)


def pass_line(leading: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=list(leading))


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
                body=indented_block(updated_node.body, stmts)
            )
        stmts[0] = stmts[0].with_changes(
            leading_lines=[
                *updated_node.leading_lines,
                *header_comments(updated_node.body),
                *stmts[0].leading_lines,
            ]
        )
        for handler in original_node.handlers:
            self.carried.extend(line for line in comment_lines(handler))
        return cst.FlattenSentinel(stmts)

    def _swallowing(self) -> bool:
        """Inside an `except` handler that does not end by re-raising."""
        handler = self.handlers[-1] if self.handlers else None
        return handler is not None and not ends_with_raise(suite_lines(handler.body))  # type: ignore[attr-defined]

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
            body = [pass_line()]
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
