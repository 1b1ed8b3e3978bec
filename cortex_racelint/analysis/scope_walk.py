"""A node's own descendants: the code that runs when it runs, not what nested scopes run later."""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from .traverse import children

_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, not entering nested functions, classes or lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, _NESTED_SCOPES):
            continue
        stack.extend(reversed(list(children(current))))
