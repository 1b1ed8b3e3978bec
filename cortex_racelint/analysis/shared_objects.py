"""Unguarded updates in methods of a process-wide shared object that thread entries reach.

The project index (`project.join`) names, for this file, the shared classes, the methods
thread entries reach on them and the attributes two threads can update at once. Here each
such method is read with the full lock analysis: a read-modify-write of one of those
attributes (`self.n += 1`, `self.d[k] = self.d.get(k, 0) + 1`) or an instance-level lazy
initialisation (`if self._c is None: self._c = make()`) with no lock held is a site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from ..ftypes import FlowStep
from .context import LintContext
from .self_attributes import self_attr
from .traverse import children

RMW, LAZY = "rmw", "lazy"
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


@dataclass
class SharedSite:
    kind: str  # RMW or LAZY
    attr: str
    node: cst.CSTNode  # the small statement (RMW) or the `if` (LAZY)
    line: Optional[cst.SimpleStatementLine]  # the statement line holding a RMW
    block: Optional[cst.IndentedBlock]  # the block holding `line` (or the `if`)
    method: cst.FunctionDef
    shared: str  # why the object is shared
    flow: tuple[FlowStep, ...]


def shared_object_sites(context: LintContext, class_node: cst.ClassDef) -> list[SharedSite]:
    """The unguarded sites of this class the project facts point at (memoised per class)."""
    key = ("shared_object_sites", id(class_node))
    if key not in context.memo:
        context.memo[key] = list(_sites(context, class_node))
    return context.memo[key]  # type: ignore[return-value]


def _sites(context: LintContext, class_node: cst.ClassDef) -> Iterator[SharedSite]:
    klass = context.project_facts.get("classes", {}).get(class_node.name.value)
    if not klass or context.class_ is not None or not isinstance(class_node.body, cst.IndentedBlock):
        return
    for method in class_node.body.body:
        if not isinstance(method, cst.FunctionDef):
            continue
        facts = klass["methods"].get(method.name.value)
        if not facts:
            continue
        attrs = set(facts["attrs"])
        flow = tuple(FlowStep(*step) for step in facts["paths"][0]) if facts["paths"] else ()
        for kind, attr, node, path in _updates(method, attrs):
            if context.locks.locks_held([*context.ancestors, *path]):
                continue
            line = next((p for p in reversed(path) if isinstance(p, cst.SimpleStatementLine)), None)
            holder = path[-2] if kind == LAZY else (path[path.index(line) - 1] if line in path else None)
            block = holder if isinstance(holder, cst.IndentedBlock) else None
            yield SharedSite(kind, attr, node, line if kind == RMW else None, block, method, klass["shared"], flow)


def _updates(method: cst.FunctionDef, attrs: set[str]) -> Iterator[tuple[str, str, cst.CSTNode, list[cst.CSTNode]]]:
    """(kind, attr, node, path from the method down to the node) of each update of `attrs`."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(method, [method])]
    while stack:
        node, path = stack.pop()
        found = _update(node, attrs)
        if found is not None:
            yield found[0], found[1], node, path
        for child in reversed(list(children(node))):
            if not isinstance(child, _NESTED):
                stack.append((child, [*path, child]))


def _stored(target: cst.BaseExpression) -> Optional[str]:
    if isinstance(target, cst.Subscript):
        target = target.value
    return self_attr(target)


def _reads(expr: cst.CSTNode, attr: str) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if self_attr(node) == attr:
            return True
        stack.extend(children(node))
    return False


def _update(node: cst.CSTNode, attrs: set[str]) -> Optional[tuple[str, str]]:
    if isinstance(node, cst.AugAssign):
        attr = _stored(node.target)
        return (RMW, attr) if attr in attrs else None
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        attr = _stored(node.targets[0].target)
        return (RMW, attr) if attr in attrs and _reads(node.value, attr) else None  # type: ignore[arg-type]
    if isinstance(node, cst.If):
        attr = _lazy_test(node.test)
        if attr in attrs and _assigns(node.body, attr):  # type: ignore[arg-type]
            return LAZY, attr  # type: ignore[return-value]
    return None


def _lazy_test(test: cst.BaseExpression) -> Optional[str]:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return self_attr(test.expression)
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        return self_attr(test.left)
    return None


def _assigns(body: cst.BaseSuite, attr: str) -> bool:
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for line in lines:
        smalls = line.body if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else []
        for small in smalls:
            if isinstance(small, cst.Assign) and any(self_attr(t.target) == attr for t in small.targets):
                return True
    return False
