"""Which lock a fix adds or reuses: the one place that decides.

Every fix that serialises something asks here for its lock; no fix module invents one. The
decisions: the lock's name (derived from the state it guards, reused when the module or class
already has it), where it is defined (beside the state; at the top of `__init__`, after a
`super().__init__()` call or a singleton's re-initialisation guard, so it exists before anything
in the constructor can start a thread), which existing attribute really is a lock (a
`Semaphore(3)` excludes nothing), and how `threading` is reached (`LintContext.lock_constructor`).
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.file_write_sites import path_locked_files, scope_id
from ..analysis.file_writes import FileAnalysis, FileOp, Region, walk_all
from ..analysis.lazy_sites import class_receiver
from ..analysis.lazyinit import find_creation, parse_lazy_check, walk_statements
from ..analysis.locks import call_factory
from ..analysis.names import dotted_name
from ..rule import AddImport, InsertStatement, ModuleEdit
from .blocks import unparenthesised


def lock_name_for(state: str) -> str:
    """`_history_instance` -> `_history_lock`; `_detector` -> `_detector_lock`; `_CACHE` -> `_cache_lock`."""
    base = state.rsplit(".", 1)[-1].lstrip("_")
    if base.isupper():  # a constant's name: `_CACHE_lock` would mix the two styles
        base = base.lower()
    base = re.sub(r"_?(instance|singleton|inst)$", "", base) or "instance"
    return f"_{base}_lock"


def module_lock(context: LintContext, lock_name: str, state: Optional[str]) -> tuple[cst.Name, list[ModuleEdit]]:
    """A module-level lock named `lock_name`: reused if it exists, else added beside `state`."""
    if lock_name in context.locks.inventory.module_locks:
        return cst.Name(lock_name), []
    constructor, needs_import = context.lock_constructor()
    anchor = context.module_assignments.get(state) if state else None
    before = False
    if anchor is None:
        anchor = context.top_level_statement()
        before = True
    assert anchor is not None
    edits: list[ModuleEdit] = [InsertStatement(anchor, f"{lock_name} = {constructor}\n", f"lock:{lock_name}", before)]
    if needs_import:
        edits.insert(0, AddImport("threading"))
    return cst.Name(lock_name), edits


def class_lock(
    context: LintContext, class_node: cst.ClassDef, lock_name: str, attribute: str
) -> list[ModuleEdit]:
    """A class attribute lock beside the class attribute it guards (reused if present)."""
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
    constructor, needs_import = context.lock_constructor()
    before = False
    if anchor is None:
        anchor = body.body[0]
        if _is_docstring(anchor) and len(body.body) > 1:
            anchor = body.body[1]
        before = not _is_docstring(anchor)
    edits: list[ModuleEdit] = [
        InsertStatement(anchor, f"{lock_name} = {constructor}\n", f"classlock:{class_node.name.value}.{lock_name}", before)
    ]
    if needs_import:
        edits.insert(0, AddImport("threading"))
    return edits


def _is_docstring(stmt: cst.CSTNode) -> bool:
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


def _init_method(class_node: cst.ClassDef) -> Optional[cst.FunctionDef]:
    if isinstance(class_node.body, cst.IndentedBlock):
        for stmt in class_node.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                return stmt
    return None


def existing_instance_lock(context: LintContext, class_node: cst.ClassDef) -> Optional[str]:
    """`self.<name>` of a lock the class already creates in `__init__`, if any."""
    init = _init_method(class_node)
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
    without `__init__` gets a class-level lock: coarser, but correct for every instance.
    """
    existing = existing_instance_lock(context, class_node)
    if existing is not None:
        return cst.Attribute(cst.Name("self"), cst.Name(existing)), []
    constructor, needs_import = context.lock_constructor()
    edits: list[ModuleEdit] = [AddImport("threading")] if needs_import else []
    init = _init_method(class_node)
    key = f"instlock:{class_node.name.value}.{name}"
    if init is None:
        edits += class_lock(context, class_node, name, "")
        return cst.Attribute(cst.Name("self"), cst.Name(name)), [e for e in edits if not isinstance(e, AddImport)] + (
            [AddImport("threading")] if needs_import else []
        )
    body = list(init.body.body)
    index = 0
    while index < len(body) and (_is_docstring(body[index]) or _is_super_init(body[index])):
        index += 1
    if index < len(body):
        edits.append(InsertStatement(body[index], f"self.{name} = {constructor}\n", key, before=True))
    else:
        edits.append(InsertStatement(body[-1], f"self.{name} = {constructor}\n", key, before=False))
    return cst.Attribute(cst.Name("self"), cst.Name(name)), edits


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
    existing = existing_instance_lock(context, class_node)
    if existing is not None:
        return cst.Attribute(cst.Name(receiver), cst.Name(existing)), []
    init = _init_method(class_node)
    if init is not None:
        body = list(init.body.body)
        index = 0
        while index < len(body) and (_is_docstring(body[index]) or _is_super_init(body[index])):
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


_MUTEX_FACTORIES = frozenset({"threading.Lock", "threading.RLock", "threading.Condition", "_thread.allocate_lock"})


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

    init = _init_method(class_node)
    if init is not None:
        for small in _init_small_statements(init):
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Attribute)
                and call_factory(small.value, context.imports) in _MUTEX_FACTORIES
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
                        and call_factory(small.value, context.imports) in _MUTEX_FACTORIES
                    ):
                        return receiver(small.targets[0].target.value), []
    if existing_instance_lock(context, class_node) is None:
        lock, edits = instance_lock(context, class_node)
        return receiver(lock.attr.value) if isinstance(lock, cst.Attribute) else lock, edits
    # a semaphore-like lock exists: add a real mutex beside it, named so it cannot clash
    name = "_lock"
    constructor, needs_import = context.lock_constructor()
    edits: list[ModuleEdit] = [AddImport("threading")] if needs_import else []
    assert init is not None
    body = list(init.body.body)
    index = 0
    while index < len(body) and (_is_docstring(body[index]) or _is_super_init(body[index])):
        index += 1
    anchor, before = (body[index], True) if index < len(body) else (body[-1], False)
    edits.append(InsertStatement(anchor, f"self.{name} = {constructor}\n", f"instlock:{class_node.name.value}.{name}", before))
    return receiver(name), edits


# -- file_writes (CRL301, CRL302) ------------------------------------------------------------
# A shared file is guarded per instance, class or module like other state, except a file that
# is checked then appended to: every access then takes the helper module's `locked(path)`.
# Readers take the lock their writers hold, spelt for the reader's method.
def _binds(stmt: cst.CSTNode, name: str) -> bool:
    for node in walk_statements([stmt]):
        targets = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            return True
    return False


def _path_argument(analysis: FileAnalysis, op: FileOp, region: Region) -> cst.BaseExpression:
    """The path for `locked(...)`: as written, unless it is a local the region assigns."""
    expr = op.path_expr
    if isinstance(expr, cst.Name) and op.function is not None:
        if any(_binds(stmt, expr.value) for stmt in region.statements):
            value = analysis._local_value(expr.value, op.function)
            if value is not None:
                return unparenthesised(value[0])
    return unparenthesised(expr)


def _locked_expr(analysis: FileAnalysis, path: cst.BaseExpression) -> tuple[cst.Call, list]:
    module = analysis.atomic_module
    return cst.Call(func=cst.Name("locked"), args=[cst.Arg(path)]), [AddImport(module, "locked")]


def write_lock(
    analysis: FileAnalysis, op: FileOp, region: Region
) -> tuple[cst.BaseExpression, list, str, bool]:
    """(lock expression, edits, lock key, already exists) for a write site."""
    context = analysis.context
    path = op.path
    assert path is not None and op.function is not None
    if (scope_id(op), path.key) in path_locked_files(analysis):
        lock, edits = _locked_expr(analysis, _path_argument(analysis, op, region))
        return lock, edits, f"locked:{path.key}", True
    if path.kind == "instance" and path.scope is not None and path.receiver:
        lock, edits = instance_lock_after_guard(context, path.scope, receiver=path.receiver)
        key = dotted_name(lock) or ""
        return lock, edits, key, not edits
    if path.kind == "class" and path.scope is not None and path.receiver:
        attribute = path.root.split(".", 1)[1]
        name = lock_name_for(attribute)
        edits = class_lock(context, path.scope, name, attribute)
        return cst.Attribute(cst.Name(path.receiver), cst.Name(name)), edits, f"{path.receiver}.{name}", not edits
    name = lock_name_for(path.root.split(".")[0]).lower()
    existed = name in analysis.locks.inventory.module_locks
    lock, edits = module_lock(context, name, path.root.split(".")[0])
    return lock, edits, name, existed


def same_lock_key(a: str, b: str) -> bool:
    """Lock keys equal up to the receiver's spelling (`self._lock` vs `me._lock`)."""
    if a == b:
        return True
    if "." in a and "." in b and not a.startswith("locked:"):
        return a.split(".", 1)[1] == b.split(".", 1)[1]
    return False


def deadlock_reason(
    analysis: FileAnalysis, op: FileOp, region: Region, key: str, exists: bool
) -> Optional[str]:
    """Why wrapping would self-deadlock on an existing non-reentrant lock, if it would."""
    if not exists or op.function is None:
        return None
    class_node = op.path.scope if op.path is not None else None
    if analysis.is_reentrant(key, class_node):
        return None
    for site in analysis.call_sites(op.function):
        if any(same_lock_key(key, held) for held in site.held):
            caller = site.caller.name if site.caller is not None else "module code"
            return (
                f"`{op.function.name}()` is called from `{caller}()` with `{key}` held; "
                "a second acquire would deadlock"
            )
    for stmt in region.statements:
        for node in walk_statements([stmt]):
            if isinstance(node, cst.Call):
                helper = analysis.helper_called(node, op.function)
                if helper is not None and _takes(analysis, helper, key):
                    return f"`{helper.name}()`, called inside, takes `{key}` itself; wrapping would deadlock"
    return None


def _takes(analysis: FileAnalysis, helper, key: str) -> bool:
    for node in walk_all(helper.node):
        if isinstance(node, cst.With):
            for item in node.items:
                if analysis.locks.is_lock(item.item) and same_lock_key(analysis.locks.lock_key(item.item), key):
                    return True
    return False


def writer_locks(analysis: FileAnalysis, reader: FileOp) -> list[tuple[FileOp, str]]:
    """Each in-place write of the reader's file under a lock (same class/module), with
    the lock it holds (the per-path `locked` first, else the outermost)."""
    assert reader.path is not None
    found = []
    for op in analysis.ops:
        if not op.is_write or op.path is None or op.function is None or op.in_main_guard:
            continue
        if op.path.key != reader.path.key or op.path.scope is not reader.path.scope:
            continue
        held = analysis.effective_locks(op)
        if held:
            locked = [key for key in held if key.startswith("locked:")]
            found.append((op, (locked or list(held))[0]))
    return found


def _receiver_for(analysis: FileAnalysis, op: FileOp) -> Optional[str]:
    function = op.function
    while function is not None and function.class_node is None:
        function = function.parent
    if function is None or function.class_node is None:
        return None
    if function.receiver:
        return function.receiver
    return function.class_node.name.value


def reader_lock(
    analysis: FileAnalysis, writer: FileOp, key: str, reader: FileOp
) -> tuple[Optional[cst.BaseExpression], list, str]:
    """The writer's lock spelt for the reader's function (None if it cannot be)."""
    if key.startswith("locked:"):
        lock, edits = _locked_expr(analysis, unparenthesised(reader.path_expr))
        return lock, edits, key
    expr = writer.held_exprs.get(key)
    text = dotted_name(expr) if expr is not None else key
    if not text or not all(part.isidentifier() for part in text.split(".")):
        return None, [], key
    head, _, rest = text.partition(".")
    if rest:
        writer_receiver = _receiver_for(analysis, writer)
        class_node = reader.path.scope if reader.path is not None else None
        if head == writer_receiver or (class_node is not None and head == class_node.name.value):
            receiver = _receiver_for(analysis, reader)
            if receiver is None:
                return None, [], key
            text = f"{receiver}.{rest}"
    return cst.parse_expression(text), [], text


# -- singletons (CRL101-CRL106) ----------------------------------------------------------------


def lazy_state_lock(context: LintContext, state: str) -> tuple[cst.BaseExpression, list]:
    """The lock named after a lazy state: module global, or class attribute for `cls.x`."""
    receiver = class_receiver(context, state)
    lock_name = lock_name_for(state)
    if receiver is not None:
        assert context.class_ is not None
        edits = class_lock(context, context.class_, lock_name, state.rsplit(".", 1)[-1])
        return cst.Attribute(value=cst.Name(receiver), attr=cst.Name(lock_name)), edits
    return module_lock(context, lock_name, state)


def shared_lock_for_per_call(
    context: LintContext, function: cst.FunctionDef, with_node: cst.With
) -> tuple[cst.Name, list[ModuleEdit]]:
    """The one module lock replacing a lock created per call (CRL104).

    Named after the lazy state the `with` guards (`_history_lock`), else after the function
    (`_work_lock`); reused if the module has it, else added beside that state.
    """
    state = None
    for inner in walk_statements([with_node.body]):
        if isinstance(inner, cst.If):
            check = parse_lazy_check(inner.test)
            if check is not None and "." not in check.state and find_creation(list(inner.body.body), check):
                state = check.state
                break
    lock_name = lock_name_for(state) if state else f"_{function.name.value.lstrip('_')}_lock"
    return module_lock(context, lock_name, state)


# -- shared_state (CRL401, CRL402) -------------------------------------------------------------
# One mutex per object (`instance_mutex`), unless every racing partner already holds a common
# `self.<lock>`; an access already under some lock gets none added.


def held_lock_reason(attr: str, held: frozenset[str], partner: Optional[tuple[str, frozenset[str]]]) -> str:
    """Why an access already under a lock (`held`) gets no fix: no second lock, a person picks one.

    `partner` is a racing access that holds a lock too: where it runs, and its locks.
    """
    where = f" while {partner[0]} holds `{sorted(partner[1])[0]}`" if partner else ""
    return f"already guarded by `{sorted(held)[0]}`{where}: choose one lock for `self.{attr}` by hand"


def shared_field_lock(
    mutex: cst.BaseExpression, self_name: str, partner_locks: list[frozenset[str]]
) -> cst.BaseExpression:
    """The lock a fix holds: the `self.<lock>` all racing partners hold, else the object's mutex.

    `partner_locks` are the lock sets of the partners that hold any; the receiver is spelt
    the way the method spells it.
    """
    if partner_locks:
        common = set.intersection(*[set(locks) for locks in partner_locks])
        attr_locks = sorted(k for k in common if k.startswith("self.") and k.count(".") == 1)
        if attr_locks:
            return cst.Attribute(cst.Name(self_name), cst.Name(attr_locks[0].split(".", 1)[1]))
    assert isinstance(mutex, cst.Attribute)
    return mutex.with_changes(value=cst.Name(self_name))


def mutex_edits(lock: cst.BaseExpression, mutex: cst.BaseExpression, edits: list[ModuleEdit]) -> list[ModuleEdit]:
    """The edits creating the object's mutex, for a fix holding it; none for a partner's lock."""
    uses_mutex = isinstance(mutex, cst.Attribute) and isinstance(lock, cst.Attribute) and (
        lock.attr.value == mutex.attr.value
    )
    return list(edits) if uses_mutex else []


def with_this_lock(module: cst.Module, stmt: cst.CSTNode, lock_text: str) -> bool:
    """`with <lock>:` on exactly this lock (a critical section to extend)."""
    return (
        isinstance(stmt, cst.With)
        and len(stmt.items) == 1
        and stmt.items[0].asname is None
        and isinstance(stmt.body, cst.IndentedBlock)
        and module.code_for_node(stmt.items[0].item) == lock_text
    )


# -- sqlite (CRL201, CRL202) -----------------------------------------------------------------------
def shared_connection_lock(
    context: LintContext, class_node: Optional[cst.ClassDef], connection: str
) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """CRL202's lock around a shared connection: `self._lock` (`instance_lock`) for one kept on an
    object, else a module lock named for the global (`_conn` -> `_conn_lock`) beside it."""
    if class_node is not None:
        return instance_lock(context, class_node)
    lock_name = lock_name_for(connection)
    return module_lock(context, lock_name, connection)
