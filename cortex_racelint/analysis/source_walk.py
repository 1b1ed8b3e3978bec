"""Run a read-only `cst.CSTVisitor` without LibCST's `visit`, in LibCST's own (source) order.

`node.visit(visitor)` goes through the transformer machinery and rebuilds every node it passes:
a whole-module visit costs more than the parse. Analyses that only collect (`lazy_harm`'s
calls, returns, bindings and mutations) get the same answers from `visit`, which walks the
non-trivia children (`traverse.children`) and calls the visitor's `visit_<Type>` methods; a
method returning False skips the node's children, as in LibCST. The children come in the
order LibCST visits them (decorators before the body, `a if t else b` body first), so a
visitor that keeps "the first" or "the last" of something sees the same one.
`tests/test_source_walk.py` checks the order against LibCST's.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Iterator, Optional

import libcst as cst

from .traverse import _NODE, _SEQUENCE, _kind, child_fields

#: node types whose dataclass fields are not in source order: LibCST's visiting order instead
SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.Arg: ("keyword", "value"),
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.ImportFrom: ("relative", "module", "names"),
}
if hasattr(cst, "TypeAlias"):
    SOURCE_ORDER[cst.TypeAlias] = ("name", "type_parameters", "value")


@functools.cache
def source_fields(node_type: type) -> tuple[str, ...]:
    """`traverse.child_fields` of `node_type`, reordered as LibCST visits them."""
    fields = child_fields(node_type)
    order = SOURCE_ORDER.get(node_type)
    if order is None:
        return fields
    present = {f.name for f in dataclasses.fields(node_type)}
    first = tuple(name for name in order if name in present)
    return first + tuple(name for name in fields if name not in first)


def source_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Non-trivia children of `node`, in LibCST's visiting order."""
    for name in source_fields(type(node)):
        value = getattr(node, name)
        kind = _kind(type(value))
        if kind == _NODE:
            yield value
        elif kind == _SEQUENCE:
            for item in value:
                if _kind(type(item)) == _NODE:
                    yield item


@functools.cache
def _method(visitor_type: type, node_type: type) -> Optional[Callable]:
    method = getattr(visitor_type, f"visit_{node_type.__name__}", None)
    return None if method is getattr(cst.CSTVisitor, f"visit_{node_type.__name__}", None) else method


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a visitor that only has `visit_<Type>` methods and reads (no `leave_`)."""
    method = _method(type(visitor), type(node))
    if method is not None and method(visitor, node) is False:
        return
    for child in source_children(node):
        visit(child, visitor)
