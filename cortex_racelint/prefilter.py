"""Skip files that cannot contain any enabled rule's pattern, before LibCST sees them.

Two stages, both far cheaper than a LibCST parse and visit:

1. bytes: each rule declares `EVIDENCE`, byte strings at least one of which must occur
   in any file it could report on (`global` for a module singleton, `connect` for sqlite);
2. `ast` (CPython's C parser, ~10x faster than LibCST): facts gathered in one walk
   (`AstFacts`) answer each remaining rule's `ast_candidate(facts)`; a rule whose shape
   is absent is dropped, and a file with no rule left is never parsed by LibCST.

A rule without `ast_candidate` is always kept. A file `ast` cannot parse keeps every
rule, so LibCST reports the syntax error itself. `tests/test_prefilter.py` checks that
the prefilter never drops a true finding.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .rule import Rule

_LOCK_FACTORY_NAMES = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "allocate_lock"}


@dataclass
class AstFacts:
    """What one walk of a module's `ast` found, for the rules' cheap checks."""

    declared_globals: bool = False  # a `global` statement in a function
    class_state_checks: bool = False  # `if cls.x ...` / `if Name.x ...` / `hasattr(...)` in a method
    membership_checks: bool = False  # `if k not in d` / `if d.get(k) is None` in a function
    lock_created_in_function: bool = False
    cache_decorators: bool = False
    thread_subclass: bool = False  # `class X(Thread)`: its `run` is a thread entry
    write_opens: bool = False  # `open(...)` whose mode may write (literal w/a/x/+, or not a literal)
    called_names: set[str] = field(default_factory=set)  # last component of every called name
    attribute_names: set[str] = field(default_factory=set)  # every `.attr` used


def _last_name(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


class _FactCollector(ast.NodeVisitor):
    def __init__(self, module_names: set[str]) -> None:
        self.facts = AstFacts()
        self.module_names = module_names
        self.function_depth = 0
        self.classes: list[str] = []
        self.receivers: list[set[str]] = []  # names that denote the class inside each function
        self.aliases: dict[str, str] = {}  # `from m import name as alias`: alias -> name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        names = {_last_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
        if names & {"lru_cache", "cache"}:
            self.facts.cache_decorators = True
        receivers = set(self.classes[-1:])
        if node.args.args and ("classmethod" in names or node.name == "__new__"):
            receivers.add(node.args.args[0].arg)
        self.function_depth += 1
        self.receivers.append(receivers)
        self.generic_visit(node)
        self.receivers.pop()
        self.function_depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any((_last_name(base) or "").endswith("Thread") for base in node.bases):
            self.facts.thread_subclass = True
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Global(self, node: ast.Global) -> None:
        if self.function_depth:
            self.facts.declared_globals = True

    def visit_If(self, node: ast.If) -> None:
        if self.function_depth:
            self._check_test(node.test)
        self.generic_visit(node)

    def _shared(self, node: ast.expr) -> bool:
        """A module global, or an attribute of the enclosing class (`cls.x`, `Name.x`)."""
        if isinstance(node, ast.Name):
            return node.id in self.module_names
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return bool(self.receivers) and node.value.id in self.receivers[-1]
        return False

    def _check_test(self, test: ast.expr) -> None:
        for sub in ast.walk(test):
            if isinstance(sub, ast.Compare):
                for op, right in zip(sub.ops, sub.comparators):
                    if isinstance(op, (ast.In, ast.NotIn)) and self._shared(right):
                        self.facts.membership_checks = True
            if isinstance(sub, ast.Call):
                name = _last_name(sub.func)
                if name == "get" and isinstance(sub.func, ast.Attribute) and self._shared(sub.func.value):
                    self.facts.membership_checks = True
                elif name in ("hasattr", "getattr") and sub.args and self.receivers:
                    first = sub.args[0]
                    if isinstance(first, ast.Name) and first.id in self.receivers[-1]:
                        self.facts.class_state_checks = True
            elif isinstance(sub, ast.Attribute) and self._shared(sub):
                self.facts.class_state_checks = True

    def visit_Call(self, node: ast.Call) -> None:
        name = _last_name(node.func)
        if name == "open" and _may_write(node):
            self.facts.write_opens = True
        if name is not None:
            self.facts.called_names.add(name)
            if name in self.aliases:  # `c(path)` after `from sqlite3 import connect as c`
                self.facts.called_names.add(self.aliases[name])
            if name in _LOCK_FACTORY_NAMES and self.function_depth:
                self.facts.lock_created_in_function = True
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.facts.attribute_names.add(node.attr)
        self.generic_visit(node)


def _may_write(call: ast.Call) -> bool:
    """Could this `open(...)` / `path.open(...)` call open for writing?"""
    modes = [kw.value for kw in call.keywords if kw.arg == "mode"] + list(call.args)
    for value in modes:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if set(value.value) & set("wax+"):
                return True
        elif not isinstance(value, ast.Constant) and value is not (call.args[0] if call.args and isinstance(call.func, ast.Name) else None):
            return True  # a mode computed at run time
    return False


def ast_facts(raw: bytes) -> Optional[AstFacts]:
    """Facts of a module, or None when `ast` cannot parse it (LibCST will say why)."""
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    collector = _FactCollector(_module_names(tree))
    try:
        collector.visit(tree)
    except RecursionError:
        return None
    return collector.facts


def candidate_rules(raw: bytes, rule_classes: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules that could report on `raw` (rules without evidence always run)."""
    selected = [r for r in rule_classes if not r.EVIDENCE or any(t.encode() in raw for t in r.EVIDENCE)]
    if not any(rule.has_ast_candidate() for rule in selected):
        return selected
    facts = ast_facts(raw)
    if facts is None:
        return selected
    return [rule for rule in selected if rule.ast_candidate(facts)]
