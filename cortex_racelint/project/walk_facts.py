"""The index's walk facts (CRL405 on shared objects): per method, where `self.<attr>` is walked step
by step and where its size changes, with the candidate locks held there.

What counts as a walk or a size change is `analysis.iteration_sites`' definition (`ast_walks`,
`ast_size_change`), the one the per-class CRL4 model uses. Rows: `info["walks"]` holds
`[attr, line, col, locks, consumer]` (the position of the
`self.<attr>` walked), `info["sizes"]` holds `[attr, line, col, locks, how]`
(`how`: the mutator called, or "item" for a store or `del`); `locks` are
lock refs (`["n", "self._lock"]`) that `resolve` keeps when they are locks.
"""

from __future__ import annotations

import ast

from ..analysis.iteration_sites import ast_size_change, ast_walks
from .lock_names import LockKinds, elsewhere

#: the node types that can walk or change a container (checked before the helpers run)
KINDS = (
    ast.For, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Call, ast.Assign,
    ast.Delete,
)


def note(info: dict, node: ast.AST, locked: list) -> None:
    """Record the walks and size changes `node` itself makes in the method `info` describes."""
    for walked, consumer in ast_walks(node):
        info.setdefault("walks", []).append([walked.attr, walked.lineno, walked.col_offset, list(locked), consumer])
    attr = ast_size_change(node)
    if attr:
        how = node.func.attr if isinstance(node, ast.Call) else "item"  # type: ignore[attr-defined]
        info.setdefault("sizes", []).append([attr, node.lineno, node.col_offset, list(locked), how])  # type: ignore[attr-defined]


def resolve(info: dict, kinds: LockKinds, imports: dict[str, list]) -> None:
    """Keep the refs that are locks (here, or names another module binds), as `under` does."""
    for key in ("walks", "sizes"):
        for row in info.get(key, ()):
            row[3] = [ref for ref in row[3] if kinds.is_lock_ref(ref) or elsewhere(ref, imports)]
