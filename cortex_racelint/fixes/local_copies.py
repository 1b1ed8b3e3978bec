"""Shared fields copied into locals: the copy statement, the reads it replaces, and evaluation order.

The read-under-lock forms (`read_under_lock`, `waiting_condition`, `test_and_use`) take a copy of
`self.<attr>` under the lock and make the code read the copy instead; a copy is only faithful
where the code would have read the field at that point, hence `evaluated_after`.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from ..analysis.file_writes import walk_all
from .field_planner import assign


def evaluated_after(statement: cst.CSTNode, call: cst.Call) -> set[int]:
    """Ids of the nodes of `statement` after `call` in source order, outside it (its arguments
    are evaluated before it runs; what follows it, after)."""
    inside = {id(n) for n in walk_all(call)}
    order = list(walk_all(statement))
    start = next(i for i, n in enumerate(order) if n is call)
    return {id(n) for n in order[start:] if id(n) not in inside}


def plain_read(node: cst.CSTNode, path: Sequence[cst.CSTNode]) -> bool:
    """Read where it stands, not later by a lambda, generator or nested function."""
    return not any(isinstance(n, (cst.Lambda, cst.GeneratorExp, cst.FunctionDef)) for n in path[1:-1] if n is not node)


def copy_field(local: str, self_name: str, attr: str) -> cst.SimpleStatementLine:
    """`local = self.attr`"""
    return assign(local, cst.Attribute(cst.Name(self_name), cst.Name(attr)))


def replace_child(stmt: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    if isinstance(stmt, (cst.If, cst.While)) and stmt.test is old:
        return stmt.with_changes(test=new)
    if isinstance(stmt, cst.For) and stmt.iter is old:
        return stmt.with_changes(iter=new)
    if isinstance(stmt, cst.With) and stmt.items and stmt.items[0] is old:
        return stmt.with_changes(items=[new, *stmt.items[1:]])
    return stmt


class _ReadReplacer(cst.CSTTransformer):
    def __init__(self, self_name: str, locals_for: dict[str, str]) -> None:
        super().__init__()
        self.self_name = self_name
        self.locals_for = locals_for
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.depth += 1  # runs later: it must keep reading the attribute itself
        return True

    def leave_Lambda(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute):
        if (
            self.depth == 0
            and isinstance(original_node.value, cst.Name)
            and original_node.value.value == self.self_name
            and original_node.attr.value in self.locals_for
        ):
            return cst.Name(self.locals_for[original_node.attr.value], lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node


def replace_reads(node: cst.CSTNode, self_name: str, locals_for: dict[str, str]) -> cst.CSTNode:
    if not locals_for:
        return node
    return node.visit(_ReadReplacer(self_name, locals_for))
