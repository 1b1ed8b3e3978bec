"""Where a per-call `sqlite3.connect()` sits: the statement shape CRL201 reports and its fix rewrites.

The rule classifies the call once; the fix plans its rewrite from the same site (the
assignment line and its block, or the `with` item), so both read one classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from .context import LintContext, function_globals
from .sqlite_usage import is_closing


@dataclass
class ConnectSite:
    shape: str  # "assign" | "with" | "closing" | "other"
    conn: Optional[str] = None
    stmt: Optional[cst.CSTNode] = None  # the assignment line, or the `with`
    block: Optional[cst.IndentedBlock] = None
    with_item: Optional[cst.WithItem] = None
    reason: Optional[str] = None
    outer: Optional[cst.Try] = None  # `try:` whose body opens the connection (`finally: if conn: conn.close()`)


def classify_connect(context: LintContext, node: cst.Call, function: cst.FunctionDef) -> Optional[ConnectSite]:
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
            return ConnectSite("other", reason="the connection is bound to several names at once")
        block = ancestors[-4] if len(ancestors) >= 4 else None
        if not (isinstance(grand, cst.SimpleStatementLine) and isinstance(block, cst.IndentedBlock)):
            return ConnectSite("other", reason="the connection is opened on a one-line block")
        if len(grand.body) != 1:
            return ConnectSite("other", reason="the connection is opened in a line holding several statements")
        outer = ancestors[-5] if len(ancestors) >= 5 else None
        outer = outer if isinstance(outer, cst.Try) and outer.body is block else None
        return ConnectSite("assign", conn=targets[0].value, stmt=grand, block=block, outer=outer)
    if isinstance(parent, cst.WithItem) and parent.item is node:
        return _with_site(parent, grand, "with")
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and is_closing(grand, context.imports):
        item = ancestors[-4] if len(ancestors) >= 4 else None
        if isinstance(item, cst.WithItem) and item.item is grand and len(grand.args) == 1:
            return _with_site(item, ancestors[-5], "closing")
        return ConnectSite("other", reason="`closing(...)` is not used as a `with` item")
    if isinstance(parent, cst.Return):
        return ConnectSite(
            "other",
            reason="the connection is returned to the caller, which decides its lifetime: make the callers use the pool",
        )
    return ConnectSite("other", reason="the connection is not bound to a local name, so the statements using it are unknown")


def _with_site(item: cst.WithItem, with_node: cst.CSTNode, shape: str) -> ConnectSite:
    assert isinstance(with_node, cst.With)
    if item.asname is not None and not isinstance(item.asname.name, cst.Name):
        return ConnectSite("other", reason="the connection is bound to a pattern, not a name")
    if not isinstance(with_node.body, cst.IndentedBlock):
        return ConnectSite("other", reason="the `with` body is on the same line")
    conn = item.asname.name.value if item.asname is not None else None  # type: ignore[union-attr]
    return ConnectSite(shape, conn=conn, stmt=with_node, with_item=item)
