"""A lock's name and where it is defined: module, class or instance, reused when it exists.

The name is derived from the state it guards (`_history_instance` -> `_history_lock`) and reused
when the module or class already has it. An instance lock goes first in `__init__` (after the
docstring, a `super().__init__()` call, or a singleton's re-initialisation guard) so it exists
before anything in the constructor can start a thread; a class without `__init__` gets a class
lock. Only a lock that excludes (`Lock`/`RLock`/`Condition`) is reused: a `Semaphore(3)` is not.
`threading` is reached the way the module spells it (`LintContext.lock_constructor`).
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.file_writes import walk_all
from ...analysis.locks import MUTEX_FACTORIES, call_factory
from ...rule import AddImport, InsertStatement, ModuleEdit
from .one_lock import class_body_object_lock


def lock_name_for(state: str) -> str:
    """`_history_instance` -> `_history_lock`; `_detector` -> `_detector_lock`; `_CACHE` -> `_cache_lock`."""
    base = state.rsplit(".", 1)[-1].lstrip("_")
    if base.isupper():  # a constant's name: `_CACHE_lock` would mix the two styles
        base = base.lower()
    base = re.sub(r"_?(instance|singleton|inst)$", "", base) or "instance"
    return f"_{base}_lock"


def module_lock(
    context: LintContext, lock_name: str, state: Optional[str], factory: str = "Lock"
) -> tuple[cst.Name, list[ModuleEdit]]:
    """A module-level lock named `lock_name`: reused if it exists, else added beside `state`.

    A name the module already binds to something else (a function, a class, an import) is
    never shadowed: the lock takes the first free name of `_x_mutex`, `_x_lock_2`, ...
    """
    lock_name = free_module_lock_name(context, lock_name)
    if lock_name in context.locks.inventory.module_locks:
        return cst.Name(lock_name), []
    constructor, needs_import = context.lock_constructor(factory)
    anchor = context.module_assignments.get(state) if state else None
    before = False
    if anchor is None:
        anchor = context.top_level_statement()
        before = True
    assert anchor is not None
    code = f"{lock_name} = {constructor}\n"
    if _beside_definition(context.module, anchor, before):
        code = "\n\n" + code  # PEP 8: two blank lines between a def/class and other top-level code
    edits: list[ModuleEdit] = [InsertStatement(anchor, code, f"lock:{lock_name}", before)]
    if needs_import:
        edits.insert(0, AddImport("threading"))
    return cst.Name(lock_name), edits


_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)


def _beside_definition(module: cst.Module, anchor: cst.CSTNode, before: bool) -> bool:
    """Would a statement inserted beside `anchor` directly follow a def or class body?

    Inserted before a def, it follows the def's predecessor (the def keeps its own blank lines);
    inserted after the anchor, it follows the anchor itself.
    """
    if not before:
        return isinstance(anchor, _DEFINITIONS)
    body = list(module.body)
    index = next((i for i, stmt in enumerate(body) if stmt is anchor), None)
    return index is not None and index > 0 and isinstance(body[index - 1], _DEFINITIONS)


def free_module_lock_name(context: LintContext, lock_name: str) -> str:
    """`lock_name`, unless the module binds it to something that is not a lock."""
    bound = set(context.module_assignments) | set(context.imports.aliases)
    base = lock_name[: -len("_lock")] if lock_name.endswith("_lock") else lock_name
    for candidate in (lock_name, f"{base}_mutex", *(f"{lock_name}_{n}" for n in range(2, 100))):
        if candidate in context.locks.inventory.module_locks or candidate not in bound:
            return candidate
    raise AssertionError(f"no free lock name near {lock_name}")


def class_lock(
    context: LintContext,
    class_node: cst.ClassDef,
    lock_name: str,
    attribute: str,
    factory: str = "Lock",
    key: Optional[str] = None,
) -> list[ModuleEdit]:
    """A class attribute lock beside the class attribute it guards (reused if present).

    `key` names the edit when the lock is the object's own (`one_lock.object_lock_key`)."""
    body = class_node.body
    if not isinstance(body, cst.IndentedBlock):
        return []
    anchor: Optional[cst.CSTNode] = None
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                names = {t.value for t in targets if isinstance(t, cst.Name)}
                if lock_name in names:
                    return []  # the class already has it
                if attribute in names and anchor is None:
                    anchor = stmt
    constructor, needs_import = context.lock_constructor(factory)
    before = False
    if anchor is None:
        anchor = body.body[0]
        if is_docstring(anchor) and len(body.body) > 1:
            anchor = body.body[1]
        before = not is_docstring(anchor)
    edits: list[ModuleEdit] = [
        InsertStatement(
            anchor, f"{lock_name} = {constructor}\n", key or f"classlock:{class_node.name.value}.{lock_name}", before
        )
    ]
    if needs_import:
        edits.insert(0, AddImport("threading"))
    return edits


def is_docstring(stmt: cst.CSTNode) -> bool:
    """A docstring line, or (in a one-line body) a docstring small statement."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        stmt = stmt.body[0]
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString))


def _init_small_statements(init: cst.FunctionDef) -> list[cst.BaseSmallStatement]:
    """The small statements of `__init__`'s own lines, whether its body is indented or on one line.

    `def __init__(self): self._lock = Lock(); ...` must be seen to create its lock, or a
    fix adds a second one (and callers end up holding different locks).
    """
    if isinstance(init.body, cst.SimpleStatementSuite):
        return list(init.body.body)
    return [small for stmt in init.body.body if isinstance(stmt, cst.SimpleStatementLine) for small in stmt.body]


def init_method(class_node: cst.ClassDef) -> Optional[cst.FunctionDef]:
    if isinstance(class_node.body, cst.IndentedBlock):
        for stmt in class_node.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                return stmt
    return None


def existing_instance_lock(context: LintContext, class_node: cst.ClassDef) -> Optional[str]:
    """`self.<name>` of a lock the class already creates in `__init__`, if any."""
    init = init_method(class_node)
    if init is None:
        return None
    for small in _init_small_statements(init):
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Attribute)
            and context.locks.is_lock_factory_call(small.value)
        ):
            target = small.targets[0].target
            if isinstance(target.value, cst.Name) and target.value.value == "self":
                return target.attr.value
    return None


def _is_super_init(stmt: cst.CSTNode) -> bool:
    """`super().__init__(...)` as a line, or (in a one-line body) as a small statement."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        stmt = stmt.body[0]
    if not isinstance(stmt, cst.Expr):
        return False
    call = stmt.value
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "__init__"
    )


def instance_lock(
    context: LintContext, class_node: cst.ClassDef, name: str = "_lock"
) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """`self._lock`: reused if `__init__` creates a lock, else added at the top of `__init__`.

    The lock goes first in `__init__` (after the docstring and a `super().__init__()`
    call) so it exists before anything in the constructor can start a thread. A class
    without `__init__`, or whose `__slots__` leave no room for a new attribute, gets a
    class-level lock: coarser, but correct for every instance. A name the class already
    binds to something else (`self._lock = None`, a path, an `asyncio.Lock`) is not reused:
    the lock takes a free one (`_mutex`, `_lock_2`, ...).
    """
    existing = existing_instance_lock(context, class_node) or class_body_object_lock(context, class_node)
    if existing is not None:
        return cst.Attribute(cst.Name("self"), cst.Name(existing)), []
    name = free_attribute_name(class_node, name)
    constructor, needs_import = context.lock_constructor()
    edits: list[ModuleEdit] = [AddImport("threading")] if needs_import else []
    init = init_method(class_node)
    key = f"instlock:{class_node.name.value}.{name}"
    if init is None or _slotted(class_node):
        edits += class_lock(context, class_node, name, "")
        return cst.Attribute(cst.Name("self"), cst.Name(name)), [e for e in edits if not isinstance(e, AddImport)] + (
            [AddImport("threading")] if needs_import else []
        )
    body = list(init.body.body)
    index = 0
    while index < len(body) and (is_docstring(body[index]) or _is_super_init(body[index])):
        index += 1
    if index < len(body):
        edits.append(InsertStatement(body[index], f"self.{name} = {constructor}\n", key, before=True))
    else:
        edits.append(InsertStatement(body[-1], f"self.{name} = {constructor}\n", key, before=False))
    return cst.Attribute(cst.Name("self"), cst.Name(name)), edits


def bound_attributes(class_node: cst.ClassDef) -> set[str]:
    """Names the class binds on itself or its instances: class-body assignments and defs,
    `self.<name> = ...` in any method, and its `__slots__` entries."""
    names: set[str] = set()
    if not isinstance(class_node.body, cst.IndentedBlock):
        return names
    for stmt in class_node.body.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            names.add(stmt.name.value)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else []
                targets += [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) else []
                names.update(t.value for t in targets if isinstance(t, cst.Name))
    names |= set(_slot_names(class_node) or ())
    for node in walk_all(class_node):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
                names.add(target.attr.value)
    return names


def free_attribute_name(class_node: cst.ClassDef, name: str) -> str:
    """`name`, unless the class already binds it (to anything: a lock is found before this is asked)."""
    bound = bound_attributes(class_node)
    for candidate in (name, "_mutex", *(f"{name}_{n}" for n in range(2, 100))):
        if candidate not in bound:
            return candidate
    raise AssertionError(f"no free attribute name near {name}")


def _slot_names(class_node: cst.ClassDef) -> Optional[list[str]]:
    """The string entries of a `__slots__` assigned in the class body, or None if it has none."""
    if not isinstance(class_node.body, cst.IndentedBlock):
        return None
    for stmt in class_node.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == "__slots__" for t in small.targets
                ):
                    value = small.value
                    items = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List, cst.Set)) else [value]
                    return [
                        item.evaluated_value
                        for item in items
                        if isinstance(item, cst.SimpleString) and isinstance(item.evaluated_value, str)
                    ]
    return None


def _slotted(class_node: cst.ClassDef) -> bool:
    """Instances of this class cannot take a new attribute (`__slots__` without `__dict__`)."""
    slots = _slot_names(class_node)
    return slots is not None and "__dict__" not in slots


def _is_reinit_guard(stmt: cst.CSTNode) -> bool:
    """`if <already initialised>: return` at the top of `__init__` (a singleton re-entered)."""
    if not isinstance(stmt, cst.If) or stmt.orelse is not None:
        return False
    body = stmt.body.body
    if len(body) != 1:
        return False
    small = body[0]
    if isinstance(small, cst.SimpleStatementLine):
        if len(small.body) != 1:
            return False
        small = small.body[0]
    return isinstance(small, cst.Return) and small.value is None


def instance_lock_after_guard(
    context: LintContext, class_node: cst.ClassDef, receiver: str = "self", name: str = "_lock"
) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """`instance_lock`, but placed after a leading `if <initialised>: return` in `__init__`.

    A singleton whose `__new__` returns the shared instance runs `__init__` again on every
    construction; a lock created above that guard would be replaced under a thread holding
    it. The receiver is spelt the way the method spells it.
    """
    existing = existing_instance_lock(context, class_node) or class_body_object_lock(context, class_node)
    if existing is not None:
        return cst.Attribute(cst.Name(receiver), cst.Name(existing)), []
    init = init_method(class_node)
    if init is not None:
        body = list(init.body.body)
        index = 0
        while index < len(body) and (is_docstring(body[index]) or _is_super_init(body[index])):
            index += 1
        if index < len(body) and _is_reinit_guard(body[index]):
            constructor, needs_import = context.lock_constructor()
            edits: list[ModuleEdit] = [AddImport("threading")] if needs_import else []
            key = f"instlock:{class_node.name.value}.{name}"
            code = f"self.{name} = {constructor}\n"
            if index + 1 < len(body):
                edits.append(InsertStatement(body[index + 1], code, key, before=True))
            else:
                edits.append(InsertStatement(body[index], code, key, before=False))
            return cst.Attribute(cst.Name(receiver), cst.Name(name)), edits
    lock, edits = instance_lock(context, class_node, name)
    assert isinstance(lock, cst.Attribute)
    return lock.with_changes(value=cst.Name(receiver)), edits




def instance_mutex(
    context: LintContext, class_node: cst.ClassDef, self_name: str = "self"
) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """Like `instance_lock`, but only reuses a lock that excludes (Lock/RLock/Condition).

    A `Semaphore(3)` in `__init__` does not serialise anything, so a new `self._lock` is
    added instead of reusing it. A mutex the class body creates (`_lock = Lock()`) is
    reused as `self._lock`.
    """
    def receiver(name: str) -> cst.Attribute:
        return cst.Attribute(cst.Name(self_name), cst.Name(name))

    init = init_method(class_node)
    if init is not None:
        for small in _init_small_statements(init):
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Attribute)
                and call_factory(small.value, context.imports) in MUTEX_FACTORIES
            ):
                target = small.targets[0].target
                if isinstance(target.value, cst.Name) and target.value.value == "self":
                    return receiver(target.attr.value), []
    if isinstance(class_node.body, cst.IndentedBlock):
        for stmt in class_node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if (
                        isinstance(small, cst.Assign)
                        and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)
                        and call_factory(small.value, context.imports) in MUTEX_FACTORIES
                    ):
                        return receiver(small.targets[0].target.value), []
    if existing_instance_lock(context, class_node) is None:
        lock, edits = instance_lock(context, class_node)
        return receiver(lock.attr.value) if isinstance(lock, cst.Attribute) else lock, edits
    # a semaphore-like lock exists: add a real mutex beside it, named so it cannot clash
    name = free_attribute_name(class_node, "_lock")
    constructor, needs_import = context.lock_constructor()
    edits: list[ModuleEdit] = [AddImport("threading")] if needs_import else []
    assert init is not None
    body = list(init.body.body)
    index = 0
    while index < len(body) and (is_docstring(body[index]) or _is_super_init(body[index])):
        index += 1
    anchor, before = (body[index], True) if index < len(body) else (body[-1], False)
    edits.append(InsertStatement(anchor, f"self.{name} = {constructor}\n", f"instlock:{class_node.name.value}.{name}", before))
    return receiver(name), edits
