"""CRL201's fix: a per-call connection becomes `with <pool>.get_connection() as conn:`.

Plans the rewrite for each shape the connection is opened in (an assignment closed
later or never, `try: ... finally: conn.close()`, a `with` block) and builds the new
`with` around exactly the statements that use the connection. `analysis.sqlite_usage`
decides whether that is safe; the closes are removed by `connection_closes`.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.names import dotted_name
from ..analysis.sqlite_sites import ConnectSite
from ..analysis.sqlite_usage import AFTER, NodeOrder, check_region, collect_aliases, references, walk
from ..ftypes import FixApplicability
from ..rule import Fix
from .connection_closes import (
    comment_lines,
    ends_with_raise,
    header_comments,
    indented_block,
    is_close_stmt,
    pass_line,
    rewrite_closes,
    suite_lines,
)
from .helper_imports import missing_pool
from .pool_checkout import pool_checkout


def pooled_connection_fix(
    context: LintContext,
    site: ConnectSite,
    path: Optional[cst.BaseExpression],
    dropped: Sequence[str],
    function: cst.FunctionDef,
):
    """CRL201's fix for one connect call: `(Fix, None)`, or `(None, why not)`."""
    assert path is not None
    pool_call, edits, pool_text = pool_checkout(context, path, function)
    order = NodeOrder(function)
    loops = [
        a
        for a in context.ancestors[context.ancestors.index(function) + 1 :]
        if isinstance(a, (cst.For, cst.While))
    ]
    if site.shape == "assign":
        planned = _plan_assign(function, order, site, pool_call, loops)
    else:
        planned = _plan_with(function, order, site, pool_call, loops)
    if isinstance(planned, str):
        return None, planned
    missing = missing_pool(context)
    if missing is not None:
        return None, missing
    conn = site.conn or "conn"
    message = f"Check the connection out of a pool: `with {pool_text}.get_connection() as {conn}:`"
    if dropped:
        message += f" (drops `{'`, `'.join(dropped)}`: the pool sets its own busy timeout)"
    return Fix(message, planned, edits, FixApplicability.UNSAFE), None


def _footer(suite: cst.BaseSuite) -> list[cst.EmptyLine]:
    return list(suite.footer) if isinstance(suite, cst.IndentedBlock) else []


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


def _strip_blank_leading(stmt: cst.BaseStatement) -> cst.BaseStatement:
    """Drop blank lines (not comments) at the top of a statement that starts a block."""
    lines = list(stmt.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return stmt.with_changes(leading_lines=lines)


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


def _pooled_with(
    pool_call: cst.BaseExpression,
    conn: str,
    body: Sequence[cst.BaseStatement],
    footer: Sequence[cst.EmptyLine] = (),
    leading: Sequence[cst.EmptyLine] = (),
    header: Optional[cst.TrailingWhitespace] = None,
) -> cst.With:
    stmts = list(body) or [pass_line()]
    stmts[0] = _strip_blank_leading(stmts[0])
    block = cst.IndentedBlock(body=stmts, footer=list(footer))
    if header is not None:
        block = block.with_changes(header=header)
    return cst.With(
        items=[cst.WithItem(item=pool_call, asname=cst.AsName(name=cst.Name(conn)))],
        body=block,
        leading_lines=list(leading),
    )


def _plan_assign(
    function: cst.FunctionDef, order: NodeOrder, site: ConnectSite, pool_call: cst.Call, loops: list
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
    function: cst.FunctionDef, order: NodeOrder, site: ConnectSite, pool_call: cst.Call, loops: list, index: int
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
            *header_comments(final_node.body),
            *carried,
            *_footer(final_node.body),
        ]
    in_with = [*footer, *carried] if not (outer.handlers and not kept) else footer
    pooled = _pooled_with(pool_call, conn, body, in_with, stmt.leading_lines, header)
    new_body = [*block.body[:index], pooled]
    if kept:
        final = outer.finalbody.with_changes(body=indented_block(outer.finalbody.body, kept))
    elif outer.handlers:
        new_outer = outer.with_changes(body=block.with_changes(body=new_body), finalbody=None)
        return {outer: _append_to_last_clause(new_outer, carried)}
    else:
        first = new_body[0]
        new_body[0] = first.with_changes(
            leading_lines=[*outer.leading_lines, *header_comments(outer.body), *first.leading_lines]
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
            orelse=node.orelse.with_changes(body=indented_block(block, suite_lines(block), [*_footer(block), *lines]))
        )
    handlers = list(node.handlers)
    last = handlers[-1]
    block = last.body
    handlers[-1] = last.with_changes(body=indented_block(block, suite_lines(block), [*_footer(block), *lines]))
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
        new_final = final.with_changes(body=indented_block(final.body, kept))
    else:
        carried = [e for line in final.leading_lines for e in comment_lines(line)] + header_comments(final.body) + carried
        carried += _footer(final.body)
        new_final = None
    pre, pre_tail = rewrite_closes(before, conn)
    if not node.handlers and new_final is None:
        # the try only closed: unwrap it
        inner, inner_tail = rewrite_closes(suite_lines(node.body), conn)
        lines = [*node.leading_lines, *header_comments(node.body)]
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
        ends_with_raise(suite_lines(h.body)) or _calls_rollback(suite_lines(h.body), conn) for h in rewritten.handlers
    )
    if handlers_safe:
        return _pooled_with(pool_call, conn, [*pre, rewritten], [*pre_tail, *footer], leading, header)
    uses_in_handlers = references([*rewritten.handlers, *([rewritten.orelse] if rewritten.orelse else [])], aliases)
    if not uses_in_handlers and not before:
        # the pool rolls back before the handler runs, as closing did after it
        inner_with = _pooled_with(pool_call, conn, suite_lines(rewritten.body), _footer(rewritten.body), (), header)
        layout = rewritten.with_changes(
            body=indented_block(rewritten.body, [inner_with], []),
            leading_lines=[*leading, *rewritten.leading_lines],
        )
        return _append_to_last_clause(layout, footer)
    return (
        "an `except` handler uses the connection and swallows the error without rolling back: "
        "the pool would commit the partial transaction"
    )


def _plan_with(
    function: cst.FunctionDef, order: NodeOrder, site: ConnectSite, pool_call: cst.Call, loops: list
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
