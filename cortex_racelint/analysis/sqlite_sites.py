"""Where a per-call `sqlite3.connect()` sits: the statement shape CRL201 reports and its fix rewrites.

The rule classifies the call once; the fix plans its rewrite from the same site (the
assignment line and its block, or the `with` item), so both read one classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from .context import LintContext, function_globals, function_locals
from .lazyinit import walk_statements
from .names import ImportMap, dotted_name
from .one_shot import one_shot_here
from .self_attributes import assigned_self_attrs, self_attr
from .sqlite_usage import collect_aliases, is_closing, is_sqlite_connect, walk


@dataclass
class ConnectSite:
    shape: str  # "assign" | "with" | "closing" | "other"
    conn: Optional[str] = None
    stmt: Optional[cst.CSTNode] = None  # the assignment line, or the `with`
    block: Optional[cst.IndentedBlock] = None
    with_item: Optional[cst.WithItem] = None
    reason: Optional[str] = None
    outer: Optional[cst.Try] = None  # `try:` whose body opens the connection (`finally: if conn: conn.close()`)


def classify_connect(context: LintContext, node: cst.Call, function: cst.FunctionDef) -> Optional[ConnectSite]:
    """The shape a connect call appears in; None when it is not a per-call connection."""
    ancestors = context.ancestors
    parent = ancestors[-2]
    grand = ancestors[-3] if len(ancestors) >= 3 else None
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if any(not isinstance(t, cst.Name) or t.value in function_globals(function) for t in targets):
            if all(not isinstance(t, (cst.Tuple, cst.List)) for t in targets):
                return None  # stored on an object or in a global: not a per-call connection
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return ConnectSite("other", reason="the connection is bound to several names at once")
        block = ancestors[-4] if len(ancestors) >= 4 else None
        if not (isinstance(grand, cst.SimpleStatementLine) and isinstance(block, cst.IndentedBlock)):
            return ConnectSite("other", reason="the connection is opened on a one-line block")
        if len(grand.body) != 1:
            return ConnectSite("other", reason="the connection is opened in a line holding several statements")
        outer = ancestors[-5] if len(ancestors) >= 5 else None
        outer = outer if isinstance(outer, cst.Try) and outer.body is block else None
        return ConnectSite("assign", conn=targets[0].value, stmt=grand, block=block, outer=outer)
    if isinstance(parent, cst.WithItem) and parent.item is node:
        return _with_site(parent, grand, "with")
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and is_closing(grand, context.imports):
        item = ancestors[-4] if len(ancestors) >= 4 else None
        if isinstance(item, cst.WithItem) and item.item is grand and len(grand.args) == 1:
            return _with_site(item, ancestors[-5], "closing")
        return ConnectSite("other", reason="`closing(...)` is not used as a `with` item")
    if isinstance(parent, cst.Return):
        return ConnectSite(
            "other",
            reason="the connection is returned to the caller, which decides its lifetime: make the callers use the pool",
        )
    return ConnectSite("other", reason="the connection is not bound to a local name, so the statements using it are unknown")


def _with_site(item: cst.WithItem, with_node: cst.CSTNode, shape: str) -> ConnectSite:
    assert isinstance(with_node, cst.With)
    if item.asname is not None and not isinstance(item.asname.name, cst.Name):
        return ConnectSite("other", reason="the connection is bound to a pattern, not a name")
    if not isinstance(with_node.body, cst.IndentedBlock):
        return ConnectSite("other", reason="the `with` body is on the same line")
    conn = item.asname.name.value if item.asname is not None else None  # type: ignore[union-attr]
    return ConnectSite(shape, conn=conn, stmt=with_node, with_item=item)


# -- data shapes a pool cannot serve (CRL201 offers no fix, and says why) -------------------------
#: connection methods that leave state on the connection: a pooled one keeps it for its next user
_STATE_METHODS = frozenset(
    {
        "create_function",
        "create_aggregate",
        "create_collation",
        "create_window_function",
        "set_authorizer",
        "set_progress_handler",
        "set_trace_callback",
        "enable_load_extension",
        "load_extension",
        "setlimit",
    }
)
_STATE_SQL = (
    # statements, not prose: at the start of the text or after a `;`
    (re.compile(r"(^|;)\s*(ATTACH|DETACH)\s", re.IGNORECASE), "attaches a database to the connection (`ATTACH`)"),
    (re.compile(r"(^|;)\s*CREATE\s+(TEMP|TEMPORARY)\s", re.IGNORECASE), "creates a `TEMP` table or view"),
)
#: PRAGMAs that change what statements do on this connection (not speed or durability)
_SEMANTIC_PRAGMAS = frozenset(
    {
        "foreign_keys",
        "recursive_triggers",
        "case_sensitive_like",
        "query_only",
        "ignore_check_constraints",
        "reverse_unordered_selects",
        "defer_foreign_keys",
        "legacy_alter_table",
        "trusted_schema",
        "writable_schema",
    }
)
_PRAGMA_SET = re.compile(r"(?:^|;)\s*PRAGMA\s+(?:main\.)?(\w+)\s*(?:=\s*|\(\s*)['\"]?(\w+)", re.IGNORECASE)
#: calls that remove or replace a file: pooled connections stay open on the unlinked inode
_REMOVING = frozenset({"os.remove", "os.unlink", "os.replace", "os.rename", "shutil.move"})
_REMOVING_METHODS = frozenset({"unlink", "rename", "replace"})
#: calls that copy a file: the pool's WAL keeps committed rows in `-wal` until a checkpoint
_COPYING = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copyfileobj"})
_PATH_WRAPPERS = frozenset({"Path", "PurePath", "str", "os.fspath", "pathlib.Path", "os.path.abspath"})
_MEMORY = (":memory:", "")


def pool_data_blocker(
    context: LintContext, function: cst.FunctionDef, conn: Optional[str], path: Optional[cst.BaseExpression]
) -> Optional[str]:
    """Why a pooled connection would see or leave different data than this per-call one (None: it would not).

    Per-call connections start empty of per-connection state and see the file as it is
    now; a pooled one is shared, long-lived and in WAL mode.
    """
    if conn is not None:
        reason = _connection_state(function, conn) or _pragma_leak(context, function)
        if reason:
            return reason
    if path is None:
        return None
    return _memory_default(context, function, path) or _file_operation(context, function, path)


def _connection_state(function: cst.FunctionDef, conn: str) -> Optional[str]:
    aliases = collect_aliases([function.body], conn)
    for node, _ in walk(function.body):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in aliases:
            attr = node.attr.value
            if attr == "total_changes":
                return (
                    f"`{node.value.value}.total_changes` counts every change since the connection was opened: "
                    "a pooled connection would count its earlier users' changes too"
                )
            if attr in _STATE_METHODS:
                return (
                    f"`{node.value.value}.{attr}()` registers per-connection state, which a pooled connection "
                    "would keep for its next user (and other connections of the pool would lack)"
                )
        if isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
            text = node.evaluated_value if isinstance(node, cst.SimpleString) else node.value
            for pattern, what in _STATE_SQL:
                if isinstance(text, str) and pattern.search(text):
                    return (
                        f"the function {what}, which stays with a pooled connection: the next user would find it "
                        "already there (a second `ATTACH`/`CREATE TEMP` of the same name fails)"
                    )
    return None


def _pragmas(node: cst.CSTNode) -> set[tuple[str, str]]:
    """`(pragma, value)` of each semantic `PRAGMA x = v` written in the strings under `node`."""
    found = set()
    for inner, _ in walk(node):
        text = inner.evaluated_value if isinstance(inner, cst.SimpleString) else None
        if isinstance(text, str):
            for name, value in _PRAGMA_SET.findall(text):
                if name.lower() in _SEMANTIC_PRAGMAS:
                    found.add((name.lower(), value.lower()))
    return found


def _opens_connection(node: cst.CSTNode, context: LintContext) -> bool:
    """`sqlite3.connect(...)`, or a pool checkout (`....get_connection()`, what an earlier fix round wrote)."""
    if not isinstance(node, cst.Call):
        return False
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get_connection":
        return True
    return is_sqlite_connect(node, context.imports)


def _pragma_leak(context: LintContext, function: cst.FunctionDef) -> Optional[str]:
    """A semantic PRAGMA set here stays on a pooled connection: fine only if every other function
    of the module that connects sets it too (otherwise it would inherit it)."""
    mine = _pragmas(function.body)
    if not mine:
        return None
    for node, _ in walk(context.module):
        if node is function or not isinstance(node, cst.FunctionDef):
            continue
        connects = any(_opens_connection(inner, context) for inner, _ in walk(node.body))
        missing = mine - _pragmas(node.body) if connects else set()
        if missing:
            name, value = sorted(missing)[0]
            return (
                f"`PRAGMA {name} = {value}` stays set on a pooled connection, and `{node.name.value}` opens "
                "connections without it: it would inherit the setting"
            )
    return None


def _memory_literal(expr: Optional[cst.BaseExpression], anywhere: bool) -> bool:
    if expr is None:
        return False
    if isinstance(expr, cst.SimpleString):
        return expr.evaluated_value in _MEMORY
    if not anywhere:
        return False
    return any(isinstance(n, cst.SimpleString) and n.evaluated_value == ":memory:" for n, _ in walk(expr))


def _memory_literal_in(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.SimpleString) and n.evaluated_value == ":memory:" for n, _ in walk(node))


def _param_default(function: cst.FunctionDef, name: str) -> Optional[cst.BaseExpression]:
    params = function.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name:
            return param.default
    return None


def _may_be_memory(function: cst.FunctionDef, value: cst.BaseExpression) -> bool:
    """`":memory:"`, `x or ":memory:"`, or a parameter of `function` defaulting to one of those."""
    if _memory_literal(value, anywhere=True):
        return True
    return isinstance(value, cst.Name) and _memory_literal(_param_default(function, value.value), anywhere=True)


def _memory_default(context: LintContext, function: cst.FunctionDef, path: cst.BaseExpression) -> Optional[str]:
    why = (
        "the database path can be `\":memory:\"` ({}): each per-call connection to it is a new, empty "
        "database, but a pool shares one, so data would outlive the call"
    )
    if isinstance(path, cst.Name):
        if _memory_literal(_param_default(function, path.value), anywhere=True):
            return why.format(f"the default of `{path.value}`")
        for node, _ in walk(function.body):
            if isinstance(node, cst.Assign) and any(dotted_name(t.target) == path.value for t in node.targets):
                if _memory_literal(node.value, anywhere=True):
                    return why.format(f"assigned to `{path.value}`")
        stmt = context.module_assignments.get(path.value)
        if path.value not in function_locals(function) and stmt is not None and _memory_literal_in(stmt):
            return why.format(f"the module sets `{path.value}` from it")  # DB = os.environ.get("DB", ":memory:")
        return None
    attribute = self_attr(path)
    class_node = context.class_
    if attribute is None or class_node is None:
        return None
    for method in class_node.body.body:
        if not isinstance(method, cst.FunctionDef):
            continue
        for node, _ in walk(method.body):
            for attr, value in assigned_self_attrs(node) if isinstance(node, cst.SimpleStatementLine) else ():
                if attr == attribute and _may_be_memory(method, value):
                    return why.format(f"`self.{attribute}` is set from it in `{method.name.value}`")
    return None


def _path_text(context: LintContext, expr: cst.BaseExpression) -> str:
    """The path expression without `Path(...)` / `str(...)` wrappers, as source text."""
    while isinstance(expr, cst.Call) and context.imports.qualify_call(expr) in _PATH_WRAPPERS and len(expr.args) == 1:
        expr = expr.args[0].value
    return context.module.code_for_node(expr)


_FileOp = tuple[str, str, Optional[cst.FunctionDef]]  # kind "remove"/"copy", the call's text, its function
_file_ops_cache: dict[int, tuple[cst.Module, dict[str, list[_FileOp]]]] = {}


def _file_ops(context: LintContext) -> dict[str, list[_FileOp]]:
    """Path text -> the file calls of the module that remove, replace or copy that path."""
    cached = _file_ops_cache.get(id(context.module))
    if cached is not None and cached[0] is context.module:
        return cached[1]
    found: dict[str, list[_FileOp]] = {}
    for node, parents in walk(context.module):
        if not isinstance(node, cst.Call):
            continue
        name = context.imports.qualify_call(node)
        kind, paths = None, []
        if name in _REMOVING or name in _COPYING:
            kind, paths = ("remove" if name in _REMOVING else "copy"), [a.value for a in node.args[:2]]
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in _REMOVING_METHODS:
            method, args = node.func.attr.value, [a for a in node.args if a.keyword is None]
            if method == "unlink" and not args:
                kind, paths = "remove", [node.func.value]
            elif method != "unlink" and len(node.args) == 1 and len(args) == 1:
                # Path.rename/replace(target); `str.replace(old, new)` takes two
                kind, paths = "remove", [node.func.value, args[0].value]
        function = next((p for p in reversed(parents) if isinstance(p, cst.FunctionDef)), None)
        for path in paths:
            found.setdefault(_path_text(context, path), []).append((kind, context.module.code_for_node(node), function))
    if len(_file_ops_cache) > 64:
        _file_ops_cache.clear()
    _file_ops_cache[id(context.module)] = (context.module, found)
    return found


def _file_operation(context: LintContext, function: cst.FunctionDef, path: cst.BaseExpression) -> Optional[str]:
    """A removal/copy of the same path: anywhere for `self.x` or a global, in this function for a local."""
    ops = _file_ops(context).get(_path_text(context, path), [])
    bare = path
    while isinstance(bare, cst.Call) and context.imports.qualify_call(bare) in _PATH_WRAPPERS and len(bare.args) == 1:
        bare = bare.args[0].value
    if isinstance(bare, cst.Name) and bare.value in function_locals(function):
        ops = [op for op in ops if op[2] is function]  # a parameter elsewhere is another variable
    if not ops:
        return None
    kind, call, _ = ops[0]
    call = " ".join(call.split())
    if kind == "copy":
        return (
            f"the database file is copied (`{call}`): in the pool's WAL mode committed rows stay in the "
            "`-wal` file until a checkpoint, so the copy would miss them (copy with `Connection.backup()`)"
        )
    return (
        f"the database file is removed or replaced (`{call}`): pooled connections would stay open on the "
        "old, unlinked file and its `-wal`/`-shm`, so later reads and writes would go there"
    )


def connection_owned_elsewhere(context: LintContext, site: ConnectSite, function: cst.FunctionDef) -> bool:
    """The connection is not this call's to pool: a factory returns it and no caller in the module
    closes it per call (the caller owns it and decides its lifetime), or the code is a test or a
    script's entry point, run once by one caller rather than by a service's threads
    (`analysis.one_shot`)."""
    returned = isinstance(context.ancestors[-2], cst.Return) or (  # `return sqlite3.connect(path)`
        site.conn is not None and _returns_name(function, site.conn)  # `conn = ...` then `return conn`
    )
    if returned:
        return not _opened_per_call(context, function.name.value)
    return one_shot_here(context) is not None


def _opened_per_call(context: LintContext, factory: str) -> bool:
    """Whether a caller in this module opens a connection through `factory` per call: closes it
    in the same function (`c = factory(); ...; c.close()`, `with factory() as c`, `closing(...)`).
    Such a factory is the per-call connection, one call away; one whose callers keep the
    connection (per thread, on an object) is not."""
    key = ("sqlite_factory_per_call", factory)
    if key not in context.memo:
        context.memo[key] = _FactoryUse(factory, context.imports).found_in(context.module)
    return context.memo[key]  # type: ignore[return-value]


class _FactoryUse(cst.CSTVisitor):
    def __init__(self, factory: str, imports: ImportMap) -> None:
        self.factory = factory
        self.imports = imports
        self.locals: list[set[str]] = [set()]
        self.thread_classes: list[bool] = [False]
        self.per_call = False

    def found_in(self, module: cst.Module) -> bool:
        module.visit(self)
        return self.per_call

    def _is_factory(self, node: cst.BaseExpression) -> bool:
        name = dotted_name(node.func) if isinstance(node, cst.Call) else None
        return name is not None and name.rpartition(".")[2] == self.factory

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.imports.qualify(b.value) or dotted_name(b.value) or "" for b in node.bases]
        self.thread_classes.append(any(b == "threading.Thread" or b.rpartition(".")[2] == "Thread" for b in bases))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.thread_classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # a thread's `run()` keeps what it opens for the thread's life (one connection per
        # thread), even when it closes it on the way out: that is not a per-call connection
        self.locals.append(_NEVER if self.thread_classes[-1] and node.name.value == "run" else set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.locals.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._is_factory(node.value) and self.locals[-1] is not _NEVER:
            for target in node.targets:  # `conn = factory()`, `conn, cursor = factory()`
                bound = target.target
                names = [e.value for e in bound.elements] if isinstance(bound, (cst.Tuple, cst.List)) else [bound]
                self.locals[-1].update(n.value for n in names if isinstance(n, cst.Name))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        item = node.item
        if isinstance(item, cst.Call) and item.args and (dotted_name(item.func) or "").endswith("closing"):
            item = item.args[0].value
        if self._is_factory(item):
            self.per_call = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "close" and isinstance(func.value, cst.Name):
            if func.value.value in self.locals[-1]:
                self.per_call = True


_NEVER: set[str] = set()  # the locals of a function whose closes never make a connection per call


def _returns_name(function: cst.FunctionDef, name: str) -> bool:
    """`return name`, or `return name, cursor` (a tuple holding it), in the function itself (not in a nested def)."""
    def named(value: Optional[cst.BaseExpression]) -> bool:
        if isinstance(value, cst.Tuple):
            return any(named(element.value) for element in value.elements)
        return isinstance(value, cst.Name) and value.value == name

    return any(isinstance(node, cst.Return) and named(node.value) for node in walk_statements([function.body]))
