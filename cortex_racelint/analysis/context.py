"""The state every rule reads during the single batched visit of a module.

The engine pushes each node on `path` as it enters it and pops it on the way out, so a
rule can ask where it is (enclosing function and class, held locks, `__main__` guard)
without ParentNodeProvider and without walking the tree again.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Optional

import libcst as cst

from ..ftypes import Config
from .locks import LockAnalysis, LockInventory
from .names import ImportMap, dotted_name
from .traverse import children


class LintContext:
    """Shared, per-module analysis state."""

    def __init__(self, module: cst.Module, path: str, config: Optional[Config] = None) -> None:
        self.module = module
        self.path = path
        self.config = config or Config()
        self.ancestors: list[cst.CSTNode] = []
        #: per-node results shared by rules that ask the same question of one node
        self.memo: dict[tuple[str, int], object] = {}
        #: codes of the rules run on this module (None: unknown, all). A rule that leaves a site to a
        #: more specific rule (CRL301 -> CRL303) still reports it when that rule is not running.
        self.codes: Optional[frozenset[str]] = None

    def release(self) -> None:
        """Drop the memoised analyses once the module's reports are placed.

        They point back at the context (`FileAnalysis.context`), a cycle that would keep
        the whole tree alive until the cyclic collector ran; cut, it is freed at once.
        """
        self.memo.clear()
        for name in ("imports", "locks", "module_assignments"):
            self.__dict__.pop(name, None)

    # -- facts about the whole module, computed on first use -----------------
    @cached_property
    def imports(self) -> ImportMap:
        return ImportMap.from_module(self.module)

    @cached_property
    def locks(self) -> LockAnalysis:
        return LockAnalysis(self.imports, LockInventory.from_module(self.module, self.imports))

    @cached_property
    def project_facts(self) -> dict:
        """This file's facts from the project index (`project.join`), empty outside phase 2."""
        text = self.config.project_facts
        return json.loads(text) if text else {}

    @cached_property
    def module_assignments(self) -> dict[str, cst.CSTNode]:
        """Top-level statement that first binds each module global."""
        bound: dict[str, cst.CSTNode] = {}
        for stmt in self.module.body:
            for name in _bound_names(stmt):
                bound.setdefault(name, stmt)
        return bound

    # -- where the visit is now ---------------------------------------------
    def held_locks(self) -> list[str]:
        return self.locks.locks_held(self.ancestors)

    def enclosing(self, kind: type) -> Optional[cst.CSTNode]:
        for node in reversed(self.ancestors[:-1]):
            if isinstance(node, kind):
                return node
        return None

    @property
    def function(self) -> Optional[cst.FunctionDef]:
        node = self.enclosing(cst.FunctionDef)
        return node if isinstance(node, cst.FunctionDef) else None

    @property
    def class_(self) -> Optional[cst.ClassDef]:
        """The class whose method we are in (only the innermost function's class)."""
        for index in range(len(self.ancestors) - 2, -1, -1):
            node = self.ancestors[index]
            if isinstance(node, cst.FunctionDef):
                for outer in reversed(self.ancestors[:index]):
                    if isinstance(outer, cst.ClassDef):
                        return outer
                    if isinstance(outer, cst.FunctionDef):
                        return None
                return None
        return None

    def in_main_guard(self) -> bool:
        """Inside `if __name__ == "__main__":` (single-threaded script code)."""
        for node in self.ancestors[:-1]:
            if isinstance(node, cst.If) and _is_main_guard(node.test):
                return True
        return False

    def top_level_statement(self) -> Optional[cst.CSTNode]:
        """The module-body statement the visit is inside."""
        if len(self.ancestors) >= 2:
            return self.ancestors[1]
        return None

    def globals_of(self, function: cst.FunctionDef) -> set[str]:
        """`function_globals`, memoised: rules ask it for every `if` in a function."""
        key = ("globals", id(function))
        if key not in self.memo:
            self.memo[key] = function_globals(function)
        return self.memo[key]  # type: ignore[return-value]

    def locals_of(self, function: cst.FunctionDef) -> set[str]:
        """`function_locals`, memoised."""
        key = ("locals", id(function))
        if key not in self.memo:
            self.memo[key] = function_locals(function)
        return self.memo[key]  # type: ignore[return-value]

    def lock_constructor(self, factory: str = "Lock") -> tuple[str, bool]:
        """How to spell `threading.<factory>()` here, and whether an import is needed."""
        local = self.imports.local_name_for(f"threading.{factory}")
        if local is not None:
            return f"{local}()", False
        return f"threading.{factory}()", True


def function_globals(function: cst.FunctionDef) -> set[str]:
    """Names a function declares `global` (directly in its own body)."""
    names: set[str] = set()
    for node in _walk_own_statements(function.body):
        if isinstance(node, cst.Global):
            names.update(item.name.value for item in node.names)
    return names


def function_locals(function: cst.FunctionDef) -> set[str]:
    """Names local to a function: its parameters and what its own body binds, minus `global`s.

    A module name assigned in a function without `global` is a different, local
    variable (`doc = getdoc(x)` in a module that also defines `doc`): never shared state.
    """
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
            continue
        if isinstance(node, cst.Lambda):
            continue
        targets: list[cst.CSTNode] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            names.add((node.evaluated_name).split(".")[0])
        for target in targets:
            flat = [target]
            while flat:
                part = flat.pop()
                if isinstance(part, cst.Name):
                    names.add(part.value)
                elif isinstance(part, (cst.Tuple, cst.List)):
                    flat.extend(element.value for element in part.elements)
                elif isinstance(part, cst.StarredElement):
                    flat.append(part.value)
        stack.extend(children(node))
    return names - function_globals(function)


def _walk_own_statements(block: cst.BaseSuite):
    """Small statements of a function body, not descending into nested defs."""
    stack = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not block:
            continue
        if isinstance(node, cst.SimpleStatementLine):
            yield from node.body
            continue
        stack.extend(reversed(list(children(node))))


def _bound_names(stmt: cst.CSTNode) -> list[str]:
    names: list[str] = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    name = dotted_name(target.target)
                    if name and "." not in name:
                        names.append(name)
            elif isinstance(small, cst.AnnAssign):
                name = dotted_name(small.target)
                if name and "." not in name:
                    names.append(name)
    elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        names.append(stmt.name.value)
    return names


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left = test.left
    right = test.comparisons[0].comparator
    sides = {dotted_name(left) or "", _string_value(right) or "", dotted_name(right) or "", _string_value(left) or ""}
    return "__name__" in sides and "__main__" in sides


def _string_value(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    return None
