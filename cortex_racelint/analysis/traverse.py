"""A fast read-only walk over a LibCST tree, for linting (never for transforming).

LibCST's `visit` rebuilds every node it passes (visitors run on the transformer
machinery), which costs more than parsing; a lint only needs to look. This walks the
nodes' dataclass fields in source order and skips formatting-only nodes (whitespace,
commas, parentheses) that no analysis reads.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Callable, Optional

import libcst as cst

#: Formatting-only nodes no analysis looks at; skipping them halves the walk.
TRIVIA = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Comment,
    cst.Newline,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Semicolon,
    cst.Dot,
    cst.Colon,
    cst.AssignEqual,
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_child_fields_lock = threading.Lock()


def child_fields(node_type: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(node_type)
    if names is None:
        with _child_fields_lock:
            names = _CHILD_FIELDS.get(node_type)
            if names is None:
                skip = ("leading_lines", "lines_after_decorators")
                names = tuple(f.name for f in dataclasses.fields(node_type) if f.name not in skip)
                _CHILD_FIELDS[node_type] = names
    return names


_OTHER, _NODE, _SEQUENCE = 0, 1, 2
_KIND: dict[type, int] = {}
_kind_lock = threading.Lock()


def _kind(value_type: type) -> int:
    """Per-type answer to "walk into this?": LibCST's bases are ABCs, whose isinstance is slow."""
    kind = _KIND.get(value_type)
    if kind is None:
        with _kind_lock:
            kind = _KIND.get(value_type)
            if kind is None:
                if issubclass(value_type, cst.CSTNode):
                    kind = _OTHER if issubclass(value_type, TRIVIA) else _NODE
                elif issubclass(value_type, (tuple, list)):
                    kind = _SEQUENCE
                else:
                    kind = _OTHER
                _KIND[value_type] = kind
    return kind


def children(node: cst.CSTNode):
    """Non-trivia children of `node`, in source order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        kind = _kind(type(value))
        if kind == _NODE:
            yield value
        elif kind == _SEQUENCE:
            for item in value:
                if _kind(type(item)) == _NODE:
                    yield item


def walk(
    node: cst.CSTNode,
    on_visit: Callable[[cst.CSTNode], Optional[bool]],
    on_leave: Optional[Callable[[cst.CSTNode], None]] = None,
) -> None:
    """Call `on_visit` on entering each node (False skips its children), `on_leave` on leaving."""
    if on_visit(node) is not False:
        for child in children(node):
            walk(child, on_visit, on_leave)
    if on_leave is not None:
        on_leave(node)
