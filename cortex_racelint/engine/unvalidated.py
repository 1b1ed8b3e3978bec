"""LibCST's parse without its per-node validation: a tenth of the parse, checking nothing new.

Every LibCST node validates itself when constructed (`CSTNode.__post_init__` calls
`_validate`: required whitespace, balanced parentheses, ...), which guards trees that code
builds by hand. A tree the native parser builds from source text already satisfies the
grammar those checks restate, yet pays them for each of its ~10 nodes a line: 0.3 s of
the standard library's 3.3 s LibCST parse in a cold check. `parse_module` skips them for
the nodes the parser builds; a node constructed anywhere else (a fix's replacement, another
thread) is validated as before: the flag is per thread and set only around the parse.
"""

from __future__ import annotations

import threading
from typing import Any

import libcst as cst

_STATE = threading.local()
#: `CSTNode.__post_init__` is LibCST's, not public API: a LibCST that moved it parses validated, as before
_VALIDATING_POST_INIT = getattr(cst.CSTNode, "__post_init__", None)


def _post_init(self: Any) -> None:
    if not getattr(_STATE, "parsing", False):
        _VALIDATING_POST_INIT(self)  # type: ignore[misc]


if _VALIDATING_POST_INIT is not None and "__post_init__" in vars(cst.CSTNode):
    cst.CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]  # installed once, on import


def parse_module(source: bytes) -> cst.Module:
    """`cst.parse_module(source)`, the nodes it builds not validated again."""
    _STATE.parsing = True
    try:
        return cst.parse_module(source)
    finally:
        _STATE.parsing = False
