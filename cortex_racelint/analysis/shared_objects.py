"""Unguarded updates in methods of a process-wide shared object that thread entries reach.

The project index (`project.join`) names, for this file, the shared classes, the methods
thread entries reach on them and the attributes two threads can update at once. Here each
such method is read with the full lock analysis: a read-modify-write of one of those
attributes (`self.n += 1`, `self.d[k] = self.d.get(k, 0) + 1`) or an instance-level lazy
initialisation (`if self._c is None: self._c = make()`) with no lock held is a site.

Two more sites follow from those attributes (issue 18's shapes), in any method but `__init__`:
a *reset* rebinds one (`self.stats = {}`, `self.failures = 0`) while other threads update
it (an update lands in the discarded value or undoes the reset), and a *derived* value is
computed from them (`self.degraded = self.failures > 5` right after the update, or from two of
them: `self.rate = self.failed / self.total`), a mix of old and new counts when unlocked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Optional

import libcst as cst

from ..ftypes import FlowStep, SharedObject
from .context import LintContext
from .reset_order import ordered_after_joins
from .self_attributes import self_attr
from .traverse import children

RMW, LAZY, RESET, DERIVED = "rmw", "lazy", "reset", "derived"
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


@dataclass
class SharedSite:
    kind: str  # RMW, LAZY, RESET or DERIVED
    attr: str
    node: cst.CSTNode  # the small statement (RMW) or the `if` (LAZY)
    line: Optional[cst.SimpleStatementLine]  # the statement line holding a RMW
    block: Optional[cst.IndentedBlock]  # the block holding `line` (or the `if`)
    method: cst.FunctionDef
    shared: str  # why the object is shared
    flow: tuple[FlowStep, ...]
    #: the object as data (`confirm` builds it from this; JSON's `shared_object`)
    object: Optional[SharedObject] = None


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
    racing = set()  # attributes read-modify-written by the threads (a lazy initialisation is CRL108's)
    for method in class_node.body.body:
        facts = klass["methods"].get(method.name.value) if isinstance(method, cst.FunctionDef) else None
        if facts:
            racing.update(attr for kind, attr, _, _ in _updates(method, set(facts["attrs"]), set()) if kind == RMW)
    any_flow = next((facts["paths"][0] for facts in klass["methods"].values() if facts["paths"]), [])
    for method in class_node.body.body:
        if not isinstance(method, cst.FunctionDef):
            continue
        facts = klass["methods"].get(method.name.value)
        if not facts and method.name.value == "__init__":
            continue
        attrs = set(facts["attrs"]) if facts else set()
        flow = tuple(FlowStep(*step) for step in facts["paths"][0]) if facts and facts["paths"] else ()
        updated = {attr for kind, attr, _, _ in _updates(method, attrs, set()) if kind == RMW}
        also = racing if method.name.value != "__init__" else set()
        for kind, attr, node, path in _updates(method, attrs, also, updated):
            if kind in (RESET, DERIVED) and not flow:
                flow = tuple(FlowStep(*step) for step in any_flow)
            if context.locks.locks_held([*context.ancestors, *path]):
                continue
            if kind in (RESET, DERIVED) and ordered_after_joins(context, class_node, method, klass):
                continue  # every call runs after the threads given the object are joined
            line = next((p for p in reversed(path) if isinstance(p, cst.SimpleStatementLine)), None)
            holder = path[-2] if kind == LAZY else (path[path.index(line) - 1] if line in path else None)
            block = holder if isinstance(holder, cst.IndentedBlock) else None
            yield SharedSite(kind, attr, node, line if kind != LAZY else None, block, method, klass["shared"], flow,
                             _object(klass, attr, flow))


def _object(klass: dict, attr: str, flow: tuple[FlowStep, ...]) -> Optional[SharedObject]:
    """The facts' `object` with this site's attribute, the methods the threads run that update it, the entry."""
    data = klass.get("object")
    if not data:
        return None
    methods = tuple(sorted(name for name, facts in klass["methods"].items() if attr in facts["attrs"]))
    return SharedObject(
        how=data["how"], cls=data.get("class", ""), expression=data.get("expression", ""), maker=data.get("maker", ""),
        path=data.get("path", ""), line=data.get("line", 0), holder=data.get("holder", ""), attr=attr,
        methods=methods, entry=flow[0].message if flow else "",
    )


def walk_object(klass: dict, attr: str, changer: str, flow: tuple[FlowStep, ...]) -> Optional[SharedObject]:
    """CRL406's object as data: the facts' `object`, the walked attribute and the method changing its size
    on another thread (`methods`: what `confirm` drives against the walk)."""
    found = _object({**klass, "methods": {}}, attr, flow)
    return None if found is None else replace(found, methods=(changer,))


def _updates(
    method: cst.FunctionDef, attrs: set[str], racing: set[str], updated: Optional[set[str]] = None
) -> Iterator[tuple[str, str, cst.CSTNode, list[cst.CSTNode]]]:
    """(kind, attr, node, path from the method down to the node) of each update of `attrs`, and of each
    reset of or value derived from a `racing` attribute (`updated`: those this method updates)."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(method, [method])]
    while stack:
        node, path = stack.pop()
        found = _update(node, attrs) or (_reset_or_derived(node, racing, updated or set()) if racing else None)
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


def _read_attrs(expr: cst.CSTNode) -> set[str]:
    found, stack = set(), [expr]
    while stack:
        node = stack.pop()
        attr = self_attr(node)
        if attr is not None:
            found.add(attr)
        stack.extend(children(node))
    return found


def _reset_or_derived(node: cst.CSTNode, racing: set[str], updated: set[str]) -> Optional[tuple[str, str]]:
    """(RESET, a) for `self.a = v` (v not reading `a`) of a racing `a`; (DERIVED, b) for
    `self.b = f(self.a, ...)` reading a racing attribute this method updates, or two racing ones."""
    if not isinstance(node, cst.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0].target
    attr = self_attr(target)
    if attr is None:
        return None
    read = _read_attrs(node.value) & racing
    if attr in racing:
        return (RESET, attr) if attr not in read else None
    if len(read) >= 2 or read & updated:
        return DERIVED, attr
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
