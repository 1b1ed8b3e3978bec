"""A fast read-only walk over a LibCST tree, for linting (never for transforming).

LibCST's `visit` rebuilds every node it passes (visitors run on the transformer
machinery), which costs more than parsing; a lint only needs to look. This walks the
nodes' dataclass fields in source order and skips formatting-only nodes (whitespace,
commas, parentheses) that no analysis reads.
"""

from __future__ import annotations

import dataclasses
import functools
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
#: per node type, memoised with `functools.cache`: thread-safe (a race at most computes an
#: equal value twice) and cheaper per call than a dict lookup in a Python function
@functools.cache
def child_fields(node_type: type) -> tuple[str, ...]:
    skip = ("leading_lines", "lines_after_decorators")
    return tuple(f.name for f in dataclasses.fields(node_type) if f.name not in skip)


_OTHER, _NODE, _SEQUENCE = 0, 1, 2


def node_types(*bases: type) -> frozenset[type]:
    """`bases` and every subclass: a hot walk tests `type(node) in` this set instead of an
    `isinstance` against LibCST's node bases, ABCs whose check costs several times more."""
    found: set[type] = set()
    pending = list(bases)
    while pending:
        kind = pending.pop()
        if kind not in found:
            found.add(kind)
            pending.extend(kind.__subclasses__())
    return frozenset(found)


@functools.cache
def _kind(value_type: type) -> int:
    """Per-type answer to "walk into this?": LibCST's bases are ABCs, whose isinstance is slow."""
    if issubclass(value_type, cst.CSTNode):
        return _OTHER if issubclass(value_type, TRIVIA) else _NODE
    if issubclass(value_type, (tuple, list)):
        return _SEQUENCE
    return _OTHER


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
