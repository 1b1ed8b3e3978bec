"""How a function uses one sqlite3 connection variable: aliases, escapes, uses outside a region.

The CRL201 fix moves the statements that use a per-call connection into
`with pool.get_connection() as conn:`. That is only correct when nothing touches the
connection (or a cursor made from it) after the block returns it to the pool. This
module answers, for a connection name and a candidate region of statements:

- which local names are the connection or cursors derived from it
  (`cur = conn.cursor()`, `cur = conn.execute(...)`, `c2 = cur.execute(...)`);
- whether any of them *escapes* the region: returned, yielded, stored on an object or
  in a container, handed to a thread or executor, captured by a nested function, a
  lambda or a lazy generator expression, or reassigned/deleted;
- whether any of them is used outside the region (after it, or across iterations of
  an enclosing loop), reading plain values such as `cur.rowcount` / `cur.lastrowid`
  after the block excepted (those are Python-side fields, valid after release).

Everything is syntactic and conservative: when in doubt, the answer is "escapes", and
the rule reports without a fix. Nested function bodies are never entered except to
notice that they refer to the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import libcst as cst

from .names import ImportMap, dotted_name
from .traverse import children

#: qualified names of the sqlite3 connection factory
CONNECT_NAMES = frozenset({"sqlite3.connect", "sqlite3.dbapi2.connect"})
CLOSING_NAMES = frozenset({"contextlib.closing"})

#: methods whose result is a cursor (or the cursor itself): the result is an alias
CURSOR_METHODS = frozenset({"cursor", "execute", "executemany", "executescript"})
#: methods returning lazy objects bound to the connection
LAZY_METHODS = frozenset({"iterdump", "blobopen", "backup"})
#: attributes that are plain values: reading them after release is harmless
VALUE_ATTRS = frozenset(
    {
        "rowcount",
        "lastrowid",
        "description",
        "arraysize",
        "row_factory",
        "text_factory",
        "total_changes",
        "in_transaction",
        "isolation_level",
        "autocommit",
    }
)
#: builtins/itertools that return a lazy iterator over their argument: the result is the cursor still
LAZY_WRAPPERS = frozenset(
    {
        "enumerate",
        "zip",
        "filter",
        "map",
        "iter",
        "reversed",
        "islice",
        "chain",
        "from_iterable",
        "zip_longest",
        "takewhile",
        "dropwhile",
        "filterfalse",
        "starmap",
        "compress",
        "accumulate",
        "groupby",
        "tee",
        "pairwise",
        "batched",
        "cycle",
    }
)
#: callees that keep or run their argument later (threads, executors, containers)
_DEFERRING_CALLS = frozenset(
    {
        "Thread",
        "Timer",
        "Process",
        "submit",
        "map",
        "apply_async",
        "start_new_thread",
        "partial",
        "append",
        "appendleft",
        "add",
        "put",
        "put_nowait",
        "insert",
        "extend",
        "setdefault",
        "update",
        "register",
        "setattr",
        "call_soon",
        "call_soon_threadsafe",
        "run_in_executor",
        "create_task",
    }
)

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
AFTER = "it would already be back in the pool"


def is_sqlite_connect(call: cst.Call, imports: ImportMap) -> bool:
    return imports.qualify_call(call) in CONNECT_NAMES


def is_closing(call: cst.Call, imports: ImportMap) -> bool:
    return imports.qualify_call(call) in CLOSING_NAMES


# -- traversal ---------------------------------------------------------------
def walk(node: cst.CSTNode, parents: tuple = ()) -> Iterator[tuple[cst.CSTNode, tuple]]:
    """Pre-order (node, ancestors-within-the-walk) pairs, descending everywhere but into trivia
    (whitespace, commas, parentheses: `traverse.children`, far cheaper than LibCST's `.children`)."""
    yield node, parents
    inner = (*parents, node)
    for child in children(node):
        yield from walk(child, inner)


class NodeOrder:
    """Pre-order start/end indices of every node under a root: "is X after Y" by numbers."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.span: dict[int, tuple[int, int]] = {}
        self._counter = 0
        self._number(root)

    def _number(self, node: cst.CSTNode) -> int:
        start = self._counter
        self._counter += 1
        end = start
        for child in children(node):
            end = self._number(child)
        self.span[id(node)] = (start, end)
        return end

    def start(self, node: cst.CSTNode) -> int:
        return self.span[id(node)][0]

    def end(self, node: cst.CSTNode) -> int:
        return self.span[id(node)][1]


# -- aliases -----------------------------------------------------------------
def derived_from(expr: cst.BaseExpression, aliases: set[str]) -> bool:
    """Is `expr` the connection/a cursor: `conn`, `conn.cursor()`, `cur.execute(...)`, `cur.connection`."""
    if isinstance(expr, cst.Name):
        return expr.value in aliases
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if expr.func.attr.value in CURSOR_METHODS:
            return derived_from(expr.func.value, aliases)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "connection":
        return derived_from(expr.value, aliases)
    if isinstance(expr, cst.Call) and _lazy_wrapper(expr):
        return any(derived_from(arg.value, aliases) for arg in expr.args)  # `rows = enumerate(cur)`
    return False


def _own_nodes(stmts: Sequence[cst.CSTNode]) -> Iterator[tuple[cst.CSTNode, tuple]]:
    """Nodes of `stmts`, not descending into nested scopes (the scope node itself is yielded)."""
    stack: list[tuple[cst.CSTNode, tuple]] = [(s, ()) for s in reversed(stmts)]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        if isinstance(node, _SCOPES):
            continue
        inner = (*parents, node)
        stack.extend((child, inner) for child in reversed(tuple(children(node))))


def collect_aliases(stmts: Sequence[cst.CSTNode], conn: str) -> set[str]:
    """`conn` plus every local assigned a cursor (or the connection) derived from it."""
    aliases = {conn}
    changed = True
    while changed:
        changed = False
        for node, _ in _own_nodes(stmts):
            if isinstance(node, cst.Assign) and derived_from(node.value, aliases):
                for target in node.targets:
                    if isinstance(target.target, cst.Name) and target.target.value not in aliases:
                        aliases.add(target.target.value)
                        changed = True
            elif isinstance(node, cst.AnnAssign) and node.value is not None and derived_from(node.value, aliases):
                if isinstance(node.target, cst.Name) and node.target.value not in aliases:
                    aliases.add(node.target.value)
                    changed = True
    return aliases


def references(stmts: Sequence[cst.CSTNode], names: set[str]) -> bool:
    """Does any of `stmts` mention one of `names` (nested scopes included)?"""
    return any(
        isinstance(node, cst.Name) and node.value in names and not _is_label(node, parents)
        for stmt in stmts
        for node, parents in walk(stmt)
    )


# -- bindings ----------------------------------------------------------------
def _is_binding(name: cst.Name, parents: tuple) -> bool:
    """Is this Name occurrence a binding (assignment/with/for target, param)?"""
    child: cst.CSTNode = name
    for parent in reversed(parents):
        if isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
            child = parent
            continue
        if isinstance(parent, cst.AssignTarget):
            return parent.target is child
        if isinstance(parent, (cst.AnnAssign, cst.AugAssign)):
            return parent.target is child
        if isinstance(parent, cst.AsName):
            return parent.name is child
        if isinstance(parent, (cst.For, cst.CompFor)):
            return parent.target is child
        if isinstance(parent, cst.Param):
            return parent.name is child
        if isinstance(parent, cst.NamedExpr):
            return parent.target is child
        return False
    return False


def _scope_binds(scope: cst.CSTNode, name: str) -> bool:
    """Does a nested def/lambda bind `name` itself (a parameter), shadowing ours?"""
    params = getattr(scope, "params", None)
    if params is None:
        return False
    every = [*params.params, *params.posonly_params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return any(p.name.value == name for p in every)


def _is_label(name: cst.Name, parents: tuple) -> bool:
    """A Name that is not a variable: `conn.cursor`'s `cursor`, a keyword `f(cursor=1)`, an import.

    Without this, a local called `cursor` made `conn.cursor()` look like a use of it.
    """
    parent = parents[-1] if parents else None
    if isinstance(parent, cst.Attribute):
        return parent.attr is name
    if isinstance(parent, cst.Arg):
        return parent.keyword is name
    return isinstance(parent, (cst.ImportAlias, cst.FunctionDef, cst.ClassDef)) and getattr(parent, "name", None) is name


# -- escapes -----------------------------------------------------------------
def _lazy_wrapper(call: cst.Call) -> bool:
    """`enumerate(...)`, `islice(...)`, `itertools.chain(...)`: not `executor.map(...)` (a method)."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value in LAZY_WRAPPERS
    if isinstance(func, cst.Attribute) and func.attr.value in LAZY_WRAPPERS:
        return (dotted_name(func.value) or "").split(".")[0] in ("itertools", "chain")  # chain.from_iterable
    return False


def _callee(call: cst.Call) -> str:
    name = dotted_name(call.func) or ""
    return name.rsplit(".", 1)[-1]


def value_escape(expr: cst.CSTNode, parents: tuple, source: str) -> Optional[str]:
    """Why the connection/cursor value `expr` escapes here, or None if this use is contained."""
    if not parents:
        return None
    parent = parents[-1]
    if isinstance(parent, cst.Attribute) and parent.value is expr:
        attr = parent.attr.value
        grand = parents[-2] if len(parents) >= 2 else None
        if isinstance(grand, cst.Call) and grand.func is parent:
            if attr in CURSOR_METHODS or attr in LAZY_METHODS:
                return value_escape(grand, parents[:-2], source)
            return None  # fetchone(), commit(), ...: plain results
        if attr in VALUE_ATTRS:
            return None
        if isinstance(grand, cst.AssignTarget) and grand.target is parent:
            return None  # conn.row_factory = ...
        return value_escape(parent, parents[:-1], source)  # `cur.connection`, a bound method
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is expr:
        return None
    if isinstance(parent, cst.Expr):
        return None
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is expr:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if all(isinstance(t, cst.Name) for t in targets):
            return None  # a local alias, analysed in its own right
        return f"`{source}` is stored in `{_code(targets[0])}`, which outlives the `with` block"
    if isinstance(parent, cst.WithItem) and parent.item is expr:
        return None
    if isinstance(parent, (cst.If, cst.While)) and parent.test is expr:
        return None
    if isinstance(parent, (cst.Comparison, cst.ComparisonTarget)):
        return None
    if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        return None
    if isinstance(parent, (cst.Element, cst.StarredElement)):
        # `args=(conn,)`: look through the tuple/list to what receives it
        depth = len(parents) - 1
        while depth >= 1 and isinstance(parents[depth], (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            depth -= 1
        holder = parents[depth] if depth >= 0 else None
        call = parents[depth - 1] if depth >= 1 else None
        if isinstance(holder, cst.Arg) and isinstance(call, cst.Call) and _callee(call) in _DEFERRING_CALLS:
            return f"`{source}` is passed to `{_callee(call)}`, which can use it after the `with` block returns it"
        return f"`{source}` is put in a tuple or list (`{_code(parents[depth + 1])}`), which can outlive the `with` block"
    if isinstance(parent, cst.Arg):
        call = parents[-2] if len(parents) >= 2 else None
        if isinstance(call, cst.Call):
            callee = _callee(call)
            if _lazy_wrapper(call) and parent.keyword is None:
                # `enumerate(cur)`, `islice(cur, n)`: a lazy iterator still reading the cursor
                return value_escape(call, parents[:-2], f"{callee}(...)` over `{source}")
            if callee in _DEFERRING_CALLS:
                return f"`{source}` is passed to `{callee}`, which can use it after the `with` block returns it"
        return None
    if isinstance(parent, cst.Return):
        return f"`{source}` is returned, so the caller would use it after it went back to the pool"
    if isinstance(parent, (cst.Yield, cst.Await)):
        return f"`{source}` is yielded, so the consumer would use it after it went back to the pool"
    return f"`{source}` is stored or passed on (`{_code(parent)}`), which can outlive the `with` block"


def _code(node: cst.CSTNode) -> str:
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:  # noqa: BLE001 - only used for messages
        return type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class RegionCheck:
    """The verdict on moving a connection's uses into one `with` block."""

    aliases: set[str] = field(default_factory=set)
    problem: Optional[str] = None


def check_region(
    function: cst.FunctionDef,
    order: NodeOrder,
    conn: str,
    region: Sequence[cst.CSTNode],
    extent: tuple[int, int],
    loops: Sequence[cst.CSTNode] = (),
) -> RegionCheck:
    """Can the uses of `conn` be confined to `region` (nodes spanning `extent` of `function`)?

    `loops` are the loops of the function that enclose the region (a use earlier in
    the loop body would see the previous iteration's connection).
    """
    aliases = collect_aliases(region, conn)
    result = RegionCheck(aliases=aliases)
    start, end = extent
    # inside the region: escapes, yields, rebinding
    for node, parents in _own_nodes(region):
        if isinstance(node, cst.Yield):
            result.problem = (
                "the connection would be held across `yield`: the pool slot stays taken while the "
                "generator is suspended"
            )
            return result
        if isinstance(node, cst.Name) and node.value in aliases and not _is_label(node, parents):
            if _is_binding(node, parents):
                if node.value == conn:
                    result.problem = f"`{conn}` is reassigned inside the block that uses it"
                    return result
                continue
            if parents and isinstance(parents[-1], (cst.Del, cst.NameItem)):
                result.problem = f"`{node.value}` is deleted or declared global/nonlocal"
                return result
            problem = value_escape(node, parents, node.value)
            if problem:
                result.problem = problem
                return result
    # the whole function: closures, lazy generator expressions, uses outside the region
    bindings: dict[str, list[int]] = {}
    refs: list[tuple[cst.Name, tuple]] = []
    for node, parents in walk(function.body):
        if isinstance(node, cst.Name) and node.value in aliases and not _is_label(node, parents):
            if _is_binding(node, parents):
                bindings.setdefault(node.value, []).append(order.start(node))
            else:
                refs.append((node, parents))
    for name, parents in refs:
        scope = next((p for p in reversed(parents) if isinstance(p, (cst.FunctionDef, cst.Lambda))), None)
        if scope is not None:
            if not _scope_binds(scope, name.value):
                result.problem = (
                    f"`{name.value}` is used by a nested function or lambda, which can run after the "
                    "connection went back to the pool"
                )
                return result
            continue
        index = order.start(name)
        in_region = start <= index <= end
        lazy = next((p for p in reversed(parents) if isinstance(p, cst.GeneratorExp)), None)
        if in_region and lazy is not None:
            position = parents.index(lazy)
            holder = parents[position - 1] if position >= 1 else None
            if not isinstance(holder, cst.Arg):
                result.problem = f"`{name.value}` is used in a generator expression, which runs later"
                return result
        if in_region:
            continue
        if index > end:
            if any(end < b < index for b in bindings.get(name.value, ())):
                continue
            parent = parents[-1] if parents else None
            grand = parents[-2] if len(parents) >= 2 else None
            value_read = (
                isinstance(parent, cst.Attribute)
                and parent.value is name
                and parent.attr.value in VALUE_ATTRS
                and not (isinstance(grand, cst.Call) and grand.func is parent)
                and not (isinstance(grand, cst.AssignTarget) and grand.target is parent)
            )
            if name.value != conn and value_read:
                continue
            result.problem = f"`{name.value}` is used after the statements that would be wrapped ({AFTER})"
            return result
        for loop in loops:
            loop_start = order.start(loop)
            if loop_start < index < start and not any(
                loop_start < b < index for b in bindings.get(name.value, ())
            ):
                result.problem = f"`{name.value}` is used across iterations of a loop"
                return result
    return result
