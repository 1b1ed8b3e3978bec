"""Lint a file whose few statements LibCST cannot parse for depth, instead of skipping it whole.

A generated 1,000-term expression compiles in CPython but overflows LibCST's recursion, and
one such statement used to hide every finding in its file. Here each top-level statement
nested deeper than `MAX_DEPTH` is replaced by a stub on its first line (blank lines after,
so every other node keeps its line and column): a `def`/`class` keeps its name bound, other
statements become `pass`. The rest is linted; the stubbed lines are reported as skipped,
and no fix is written for such a file (the stubs must never reach the disk).
"""

from __future__ import annotations

import ast
from typing import Optional

#: expression/statement depth above which a top-level statement is stubbed (LibCST survives
#: far more, but its conversion recurses several frames per level)
MAX_DEPTH = 100
NO_FIX = "the file has statements nested too deeply for LibCST (not analysed): no fix is written for it"


def _depth(node: ast.AST) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return deepest


def _stub(stmt: ast.stmt) -> str:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name.isascii():
        return f"def {stmt.name}(): pass"
    if isinstance(stmt, ast.ClassDef) and stmt.name.isascii():
        return f"class {stmt.name}: pass"
    return "pass"


def without_deep_statements(raw: bytes, max_depth: int = MAX_DEPTH) -> Optional[tuple[bytes, list[tuple[int, int]]]]:
    """(`raw` with its too-deep top-level statements stubbed, their line spans), or None.

    None when `ast` cannot parse the file either (it is not valid Python: reported as
    before) or no statement is deeper than `max_depth`.
    """
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = raw.splitlines(keepends=True)
    spans: list[tuple[int, int]] = []
    for index, stmt in enumerate(tree.body):
        if _depth(stmt) <= max_depth:
            continue
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        last = stmt.end_lineno or stmt.lineno
        following = tree.body[index + 1] if index + 1 < len(tree.body) else None
        if stmt.col_offset != 0 or (following is not None and following.lineno == last):
            return None  # it shares a line with another statement (`x = 1; y = ...`): not stubbed safely
        ending = lines[last - 1][len(lines[last - 1].rstrip(b"\r\n")) :] or b"\n"
        lines[first - 1] = _stub(stmt).encode() + ending
        for number in range(first + 1, last + 1):
            tail = lines[number - 1][len(lines[number - 1].rstrip(b"\r\n")) :]
            lines[number - 1] = tail or b"\n"
        spans.append((first, last))
    if not spans:
        return None
    return b"".join(lines), spans
