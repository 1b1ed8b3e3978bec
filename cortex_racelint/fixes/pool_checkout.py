"""CRL201's fix, the pool: `<pool>.get_connection()` and the module edits that make `<pool>` exist.

The factory comes from `[tool.racelint] sqlite-pool`; a path kept on `self` gets one pool
created in `__init__` (`self._pool`), so the fix does not build a pool on every call.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.names import dotted_name
from ..analysis.self_attributes import assigned_self_attrs, self_attr
from ..analysis.sqlite_usage import is_sqlite_connect, walk
from ..rule import AddImport, InsertStatement, ModuleEdit
from .locks.placement import init_method


def pool_checkout(context: LintContext, path: cst.BaseExpression, function: cst.FunctionDef):
    """The pool expression, the module edits it needs, and how it reads."""
    module, _, factory = context.config.sqlite_pool.partition(":")
    local = context.imports.local_name_for(f"{module}.{factory}")
    import_edits: list[ModuleEdit] = []
    if local is None:
        local = factory
        import_edits.append(AddImport(module, factory))
    attribute = self_attr(path)
    class_node = context.class_
    params = function.params.params
    if attribute and class_node is not None and params and params[0].name.value == "self":
        planned = _instance_pool(context, class_node, attribute, local, module, factory)
        if planned is not None:
            name, insert = planned
            receiver = cst.Attribute(value=cst.Name("self"), attr=cst.Name(name))
            edits = [*import_edits, insert] if insert is not None else []
            return _get_connection(receiver), edits, f"self.{name}"
    receiver = cst.Call(func=cst.parse_expression(local), args=[cst.Arg(value=path.deep_clone())])
    text = f"{local}({context.module.code_for_node(path)})"
    return _get_connection(receiver), import_edits, text


def _get_connection(receiver: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name("get_connection")))


def _instance_pool(
    context: LintContext, class_node: cst.ClassDef, attribute: str, local: str, module: str, factory: str
) -> Optional[tuple[str, Optional[InsertStatement]]]:
    """`(pool attribute, edit creating it or None)` for a path attribute set in `__init__`."""
    init = init_method(class_node)
    if init is None:
        return None
    qualified = f"{module}.{factory}"
    anchor = None
    existing: dict[str, str] = {}  # path attribute -> pool attribute created from it
    for stmt in init.body.body:
        for attr, value in assigned_self_attrs(stmt):
            if attr == attribute:
                anchor = stmt
            if isinstance(value, cst.Call) and context.imports.qualify_call(value) == qualified and value.args:
                source = self_attr(value.args[0].value)
                if source:
                    existing[source] = attr
    if anchor is None:
        return None
    # the path must not change after __init__: any other assignment -> pool at the call site
    connect_paths, pool_names_taken, assigned_after_init = _class_summary(context, class_node, init)
    path_attributes = set(existing) | connect_paths
    if attribute in assigned_after_init or _subclass_assigns(context, class_node, attribute):
        return None
    if attribute in existing:
        return existing[attribute], None
    name = "_pool" if len(path_attributes) <= 1 else f"_{attribute.strip('_')}_pool"
    if name in pool_names_taken:
        name = f"_{attribute.strip('_')}_pool"
        if name in pool_names_taken:
            return None
    code = f"self.{name} = {local}(self.{attribute})\n"
    return name, InsertStatement(anchor, code, f"sqlitepool:{class_node.name.value}.{name}")


def _class_summary(
    context: LintContext, class_node: cst.ClassDef, init: cst.FunctionDef
) -> tuple[set[str], set[str], set[str]]:
    """(self attributes passed to `sqlite3.connect`, every self attribute assigned, those assigned
    outside `__init__`'s top level), walked once per class rather than once per finding."""
    key = ("pool_checkout_class_summary", id(class_node))
    if key not in context.memo:
        connect_paths: set[str] = set()
        taken: set[str] = set()
        after_init: set[str] = set()
        for node, parents in walk(class_node.body):
            if isinstance(node, cst.Call) and is_sqlite_connect(node, context.imports) and node.args:
                source = self_attr(node.args[0].value)
                if source:
                    connect_paths.add(source)
            for attr, _ in assigned_self_attrs(node) if isinstance(node, cst.SimpleStatementLine) else ():
                taken.add(attr)
                if not (parents and parents[-1] is init.body):
                    after_init.add(attr)
        context.memo[key] = (connect_paths, taken, after_init)
    return context.memo[key]  # type: ignore[return-value]


def _module_classes(context: LintContext) -> list[cst.ClassDef]:
    """Every class of the module, found once per module (one walk, not one per finding)."""
    key = ("pool_checkout_module_classes",)
    if key not in context.memo:
        context.memo[key] = [node for node, _ in walk(context.module) if isinstance(node, cst.ClassDef)]
    return context.memo[key]  # type: ignore[return-value]


def _subclass_assigns(context: LintContext, class_node: cst.ClassDef, attribute: str) -> bool:
    """Does a subclass in this module set `self.<attribute>` (after `super().__init__()` built the pool)?

    A pool created from the base's path would then serve the wrong database, so the pool is
    looked up at the call site, from the path the instance has then.
    """
    family = {class_node.name.value}
    classes = _module_classes(context)
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name.value in family:
                continue
            bases = {(dotted_name(base.value) or "").rpartition(".")[2] for base in node.bases}
            if bases & family:
                family.add(node.name.value)
                grew = True
                if _overrides_path(node, attribute):
                    return True
    return False


def _overrides_path(subclass: cst.ClassDef, attribute: str) -> bool:
    """The subclass sets the path (`self.x = ...`, a class attribute `x = ...`) or has an `__init__`
    that never runs the base's (which is where the pool would be created)."""
    for inner, _ in walk(subclass.body):
        if isinstance(inner, cst.SimpleStatementLine) and any(a == attribute for a, _ in assigned_self_attrs(inner)):
            return True
    for stmt in subclass.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = small.targets if isinstance(small, cst.Assign) else []
                if any(isinstance(t.target, cst.Name) and t.target.value == attribute for t in targets):
                    return True
                if isinstance(small, cst.AnnAssign) and dotted_name(small.target) == attribute:
                    return True
    init = init_method(subclass)
    if init is None:
        return False
    return not any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "__init__"
        for node, _ in walk(init.body)
    )
