"""Resolve what a name or attribute chain refers to, through the module's imports.

A deliberately cheap stand-in for LibCST's QualifiedNameProvider: one pass over the
module's import statements builds an alias table, and lookups are dictionary hits.
That answers the question every rule asks (`is this call sqlite3.connect?`, `is this
threading.Lock?`) in every spelling (`import sqlite3 as s`, `from sqlite3 import
connect as c`, `from threading import Lock`), at a fraction of scope analysis' cost.
Local rebinding of an imported name is not tracked; no rule relies on it.
"""

from __future__ import annotations

import ast
from typing import Iterable, Optional

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while type(node) is cst.Attribute:  # exact types: LibCST's node classes are ABCs, slow to `isinstance`
        parts.append(node.attr.value)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if type(node) is cst.Name:
        parts.append(node.value)  # type: ignore[attr-defined]
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression) -> str:
    name = dotted_name(node)
    return name or ""


class ImportMap:
    """Alias table of a module: local name -> fully qualified name."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    @classmethod
    def from_module(cls, module: cst.Module) -> "ImportMap":
        table = cls()
        for stmt in _walk_import_statements(module.body):
            table._add(stmt)
        return table

    def _add(self, stmt: cst.BaseSmallStatement) -> None:
        if isinstance(stmt, cst.Import):
            for alias in stmt.names:
                full = _module_name(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.aliases[alias.asname.name.value] = full
                else:
                    top = full.split(".")[0]
                    self.aliases.setdefault(top, top)
        elif isinstance(stmt, cst.ImportFrom):
            if stmt.relative or stmt.module is None:
                base = "." * len(stmt.relative) + (_module_name(stmt.module) if stmt.module else "")
            else:
                base = _module_name(stmt.module)
            if isinstance(stmt.names, cst.ImportStar):
                return
            for alias in stmt.names:
                imported = _module_name(alias.name)
                local = imported
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                self.aliases[local] = f"{base}.{imported}"

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        """Qualified name of a Name/Attribute chain, resolving the leftmost name."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.aliases:
            full = self.aliases[head]
            return f"{full}.{rest}" if rest else full
        return name

    def qualify_call(self, call: cst.Call) -> Optional[str]:
        return self.qualify(call.func)

    def local_name_for(self, qualified: str) -> Optional[str]:
        """How this module spells `qualified` (e.g. `threading.Lock`), if it can."""
        module, _, attr = qualified.rpartition(".")
        for local, full in self.aliases.items():
            if full == qualified:
                return local
        for local, full in self.aliases.items():
            if full == module:
                return f"{local}.{attr}"
        return None


def _walk_import_statements(body: Iterable[cst.CSTNode]) -> Iterable[cst.BaseSmallStatement]:
    """Imports at module level, including those nested in `try`/`if` blocks."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small
        elif isinstance(stmt, cst.If):
            if dotted_name(stmt.test) not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                yield from _walk_import_statements(stmt.body.body)  # type-checking imports bind nothing at run time
            if stmt.orelse is not None:
                yield from _walk_import_statements(stmt.orelse.body.body)
        elif isinstance(stmt, cst.Try):
            yield from _walk_import_statements(stmt.body.body)
            for handler in stmt.handlers:
                yield from _walk_import_statements(handler.body.body)


def ast_dotted(node: ast.AST) -> Optional[str]:
    """`a.b.c` for a name or attribute chain of the stdlib `ast` (the project index's trees), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
