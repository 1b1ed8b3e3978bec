"""`self.<attr>` reads and assignments, spelt with the receiver named `self`.

The sqlite rules and their fixes find a connection's path or the connection itself on
`self`; they share this one reading of the shape.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst


def self_attr(expr: cst.CSTNode) -> Optional[str]:
    """`attr` for `self.attr`, else None."""
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return expr.attr.value
    return None


def assigned_self_attrs(stmt: cst.CSTNode) -> list[tuple[str, cst.BaseExpression]]:
    """`(attr, value)` for each `self.attr = value` small statement of a statement line."""
    found = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    attr = self_attr(target.target)
                    if attr:
                        found.append((attr, small.value))
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                attr = self_attr(small.target)
                if attr and small.value is not None:
                    found.append((attr, small.value))
    return found
