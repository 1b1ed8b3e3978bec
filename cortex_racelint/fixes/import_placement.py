"""Put the import statements a fix adds where isort and Ruff would: in their section, in order.

LibCST's `AddImportsVisitor` merges a name into an existing `from m import ...` well, but
appends a new statement after the module's last top-level import: `import threading`
lands below third-party and first-party imports, and a helper import is glued to the
section above it. Each new statement is moved instead:

* a standard-library import into the standard-library section, a helper module of the
  project (the only other imports a fix adds) into the section of imports from the same
  top-level package;
* within the section, in isort's default order (plain `import m` before `from m import`,
  then by module name, case-insensitively);
* a module without such a section gets one, between the sections before and after it
  (`__future__`, standard library, third party, first party, relative), set apart by
  blank lines.

Only statements that import a module the original code did not import that way are
moved, so a merge into an existing `from` import stays where the author put it.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import libcst as cst

_FUTURE, _STDLIB, _THIRD_PARTY, _FIRST_PARTY, _LOCAL = range(5)  # isort's sections, in order
#: modules the standard library has on every supported Python (3.10+ has the set built in)
_STDLIB_NAMES = frozenset(getattr(sys, "stdlib_module_names", ())) | {"threading", "sqlite3", "os", "json"}


def _import_of(stmt: cst.CSTNode) -> Optional[cst.Import | cst.ImportFrom]:
    """The import of a one-import statement line, else None."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body
    )


def _module_name(node: cst.Import | cst.ImportFrom) -> str:
    if isinstance(node, cst.Import):
        return cst.Module([]).code_for_node(node.names[0].name)
    if node.module is None:
        return ""
    return cst.Module([]).code_for_node(node.module)


def _identity(node: cst.Import | cst.ImportFrom) -> tuple[str, str, int]:
    """What an import statement imports: its form, module and relative level."""
    if isinstance(node, cst.Import):
        return "import", _module_name(node), 0
    return "from", _module_name(node), len(node.relative)


def _sort_key(node: cst.Import | cst.ImportFrom) -> tuple[int, str]:
    return (0 if isinstance(node, cst.Import) else 1), _module_name(node).lower()


def _section(node: cst.Import | cst.ImportFrom, first_party: set[str]) -> int:
    if isinstance(node, cst.ImportFrom) and node.relative:
        return _LOCAL
    top = _module_name(node).split(".")[0]
    if top == "__future__":
        return _FUTURE
    if top in first_party:
        return _FIRST_PARTY
    return _STDLIB if top in _STDLIB_NAMES else _THIRD_PARTY


def _block(body: Sequence[cst.BaseStatement]) -> tuple[int, int]:
    """[start, end) of the top-level import block (after a module docstring)."""
    start = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
        if isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            start = 1
    end = start
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    return start, end


def _blank_line() -> list[cst.EmptyLine]:
    return [cst.EmptyLine()]


def place_added_imports(before: cst.Module, after: cst.Module) -> cst.Module:
    """`after` (= `before` + AddImportsVisitor) with each new import statement in its section."""
    existing = {_identity(node) for node in map(_import_of, before.body) if node is not None}
    existing |= {_identity(s) for stmt in before.body if _is_import_line(stmt) for s in stmt.body}  # type: ignore[arg-type]
    added = [
        stmt for stmt in after.body if (node := _import_of(stmt)) is not None and _identity(node) not in existing
    ]
    if not added:
        return after
    body = [stmt for stmt in after.body if not any(stmt is new for new in added)]
    for stmt in added:
        body = _insert(body, stmt.with_changes(leading_lines=[]))
    return after.with_changes(body=body)


def _insert(body: list[cst.BaseStatement], stmt: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    start, end = _block(body)
    if start == end:  # no imports at all: first statement after the docstring
        following = body[start:]
        if following:  # isort: two blank lines before a def or class, one before other code
            wanted = 2 if isinstance(following[0], (cst.FunctionDef, cst.ClassDef)) else 1
            blank = [line for line in following[0].leading_lines if line.comment is None]
            if len(blank) < wanted and len(blank) == len(following[0].leading_lines):
                following = [following[0].with_changes(leading_lines=[cst.EmptyLine()] * wanted), *following[1:]]
        return [*body[:start], stmt, *following]
    node = _import_of(stmt)
    assert node is not None
    first_party = {_module_name(node).split(".")[0]} if _section(node, set()) != _STDLIB else set()
    section = _section(node, first_party)
    sections = []
    for index in range(start, end):
        line = body[index]
        imported = _import_of(line) or line.body[0]  # type: ignore[attr-defined]
        sections.append(_section(imported, first_party))  # type: ignore[arg-type]
    same = [start + i for i, s in enumerate(sections) if s == section]
    if same:
        later = [i for i in same if _sort_key(_import_of(body[i]) or body[i].body[0]) > _sort_key(node)]  # type: ignore[attr-defined, arg-type]
        if later:
            return _put_before(body, later[0], stmt, section_starts_there=later[0] == same[0])
        return [*body[: same[-1] + 1], stmt, *body[same[-1] + 1 :]]
    earlier = [start + i for i, s in enumerate(sections) if s < section]
    if earlier:  # a new section right after the sections before it
        at = earlier[-1] + 1
        rest = body[at:]
        if at < end and not rest[0].leading_lines:
            rest = [rest[0].with_changes(leading_lines=_blank_line()), *rest[1:]]
        return [*body[:at], stmt.with_changes(leading_lines=_blank_line()), *rest]
    # a new first section: it takes over the block's leading lines (comments above the imports)
    first = body[start]
    return [*body[:start], stmt.with_changes(leading_lines=first.leading_lines),
            first.with_changes(leading_lines=_blank_line()), *body[start + 1 :]]


def _put_before(
    body: list[cst.BaseStatement], index: int, stmt: cst.SimpleStatementLine, section_starts_there: bool
) -> list[cst.BaseStatement]:
    """Insert before `body[index]`; at a section's start, the new line takes its leading lines."""
    if not section_starts_there:
        return [*body[:index], stmt, *body[index:]]
    displaced = body[index]
    return [*body[:index], stmt.with_changes(leading_lines=displaced.leading_lines),
            displaced.with_changes(leading_lines=[]), *body[index + 1 :]]
