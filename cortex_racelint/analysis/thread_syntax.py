"""Syntax helpers of the thread analysis: methods of a class, thread targets, statement order, access kinds."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst

from .entry_table import start_spec
from .names import dotted_name
from .traverse import children
from .iteration_sites import iteration_use
from .access_kinds import BINDING_RMW, CONTENTS_RMW, ITERATE, MUTATE, MUTATORS, NOT_EXECUTORS, READ, WRITE, _EXECUTOR_METHODS

def self_name(function: cst.FunctionDef) -> Optional[str]:
    """The first parameter of a plain method (None for static/class methods)."""
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        if name.rsplit(".", 1)[-1] in ("staticmethod", "classmethod"):
            return None
    params = function.params.posonly_params or function.params.params
    if not params:
        return None
    return params[0].name.value


def _is_property(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        last = name.rsplit(".", 1)[-1]
        if last in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def _class_methods(class_node: cst.ClassDef) -> dict[str, list[cst.FunctionDef]]:
    methods: dict[str, list[cst.FunctionDef]] = {}
    body = class_node.body
    if not isinstance(body, cst.IndentedBlock):
        return methods
    for stmt in _flatten_class_body(body.body):
        if isinstance(stmt, cst.FunctionDef):
            methods.setdefault(stmt.name.value, []).append(stmt)
    return methods


def _flatten_class_body(stmts: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Class body statements, looking into `if`/`try` blocks (platform-specific methods)."""
    for stmt in stmts:
        if isinstance(stmt, (cst.If, cst.Try)):
            blocks = [stmt.body]
            if isinstance(stmt, cst.If) and stmt.orelse is not None:
                blocks.append(stmt.orelse if isinstance(stmt.orelse, cst.If) else stmt.orelse.body)
            if isinstance(stmt, cst.Try):
                blocks.extend(h.body for h in stmt.handlers)
            for block in blocks:
                inner = block.body if isinstance(block, cst.IndentedBlock) else [block]
                yield from _flatten_class_body(inner)
        else:
            yield stmt


_LEAVE = object()  # on `_walk`'s stack after a node's children: its path entry is popped


def _walk(
    node: cst.CSTNode, path: list[cst.CSTNode], skip: set[int]
) -> Iterator[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    """Pre-order walk yielding (node, path-including-node); `skip` prunes subtrees by id.

    Iterative: a recursive generator passes each node up through every level above it. A
    child is tested against `skip` when the walk reaches it, as before (a caller may add to
    `skip` while walking)."""
    stack: list = [node]
    pop, push = stack.pop, stack.append
    while stack:
        current = pop()
        if current is _LEAVE:
            path.pop()
            continue
        if current is not node and (id(current) in skip or type(current) is cst.ClassDef):
            continue
        path.append(current)
        yield current, path
        push(_LEAVE)
        stack.extend(reversed(list(children(current))))


def _unwrap_callable(expr: cst.BaseExpression, imports) -> cst.BaseExpression:
    """`functools.partial(f, ...)` -> f; `lambda: self.m(...)` -> self.m."""
    if isinstance(expr, cst.Call) and expr.args:
        qualified = imports.qualify(expr.func) or ""
        if qualified.rsplit(".", 1)[-1] == "partial":
            return _unwrap_callable(expr.args[0].value, imports)
    if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
        return expr.body.func
    return expr


def _arg(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position:
        return positional[position].value
    return None


def thread_target(call: cst.Call, imports) -> Optional[tuple[str, cst.BaseExpression]]:
    """(kind, callable) when `call` runs a callable on another thread: the thread-start rows of
    `analysis.entry_table` say where the callable is; the matching of names is here."""
    qualified = imports.qualify(call.func) or ""
    last = qualified.rsplit(".", 1)[-1]
    row = None
    if qualified in ("threading.Timer",) or last == "Timer":
        row = start_spec("threading.Timer")
    elif qualified == "threading.Thread" or (last.endswith("Thread") and last[:1].isupper()):
        row = start_spec("threading.Thread")
    elif last in ("start_new_thread", "start_new") and qualified.startswith("_thread"):
        row = start_spec(f"_thread.{last}")
    elif qualified == "asyncio.to_thread":
        row = start_spec("asyncio.to_thread")
    elif isinstance(call.func, cst.Attribute):
        method = call.func.attr.value
        if method in _EXECUTOR_METHODS:
            receiver = dotted_name(call.func.value) or ""
            if method == "map" and receiver.rsplit(".", 1)[-1] in NOT_EXECUTORS:
                return None
            row = start_spec(f".{method}")
    if row is None:
        return None
    target = _arg(call, row.arg, row.keyword)
    return (row.kind, target) if target is not None else None


def _is_thread_subclass(class_node: cst.ClassDef, imports) -> bool:
    for base in class_node.bases:
        qualified = imports.qualify(base.value) or ""
        if qualified == "threading.Thread" or qualified.rsplit(".", 1)[-1] == "Thread":
            return True
    return False


def _statement_of(path: Sequence[cst.CSTNode]) -> tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
    """(statement, small): the SimpleStatementLine holding path[-1] and its small statement,
    or the compound statement whose header holds it and the header part."""
    for index in range(len(path) - 2, -1, -1):
        node, child = path[index], path[index + 1]
        if isinstance(node, cst.SimpleStatementLine):
            return node, child
        if isinstance(node, cst.SimpleStatementSuite):
            return path[index - 1], child  # one-line compound: the compound is the statement
        if isinstance(node, cst.BaseCompoundStatement):
            return node, child
    return None, None


_LOOPS = (cst.For, cst.While)


def _statement_chain(path: Sequence[cst.CSTNode]) -> list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]:
    """(block, statement-in-block, repeats) from the innermost block outwards.

    `repeats` is True for blocks inside a loop around path[-1]: their earlier statements
    run again after it (the next iteration), so they are not "before" it.
    """
    limit = 0  # a nested function runs whenever it is called: stop there
    for index in range(len(path) - 2, 0, -1):
        if isinstance(path[index], (cst.FunctionDef, cst.Lambda)):
            limit = index
            break
    outermost_loop = None
    for index in range(len(path) - 2, limit - 1, -1):
        node = path[index]
        if isinstance(node, _LOOPS) and path[index + 1] is node.body:
            outermost_loop = index
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            outermost_loop = index
    chain = []
    for index in range(len(path) - 2, limit - 1, -1):
        node = path[index]
        if isinstance(node, cst.IndentedBlock):
            chain.append((node, path[index + 1], outermost_loop is not None and index > outermost_loop))
    return chain


def _before(chain: list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]) -> set[int]:
    ids: set[int] = set()
    for block, stmt, repeats in chain:
        if repeats:
            continue
        for sibling in block.body:
            if sibling is stmt:
                break
            ids.add(id(sibling))
    return ids


def _after(chain: list[tuple[cst.IndentedBlock, cst.CSTNode, bool]]) -> set[int]:
    ids: set[int] = set()
    for block, stmt, _ in chain:
        seen = False
        for sibling in block.body:
            if seen:
                ids.add(id(sibling))
            if sibling is stmt:
                seen = True
    return ids



def _waits(call: cst.Call, verb: str) -> bool:
    """`t.join()`, `t.join(timeout)` and `ex.shutdown()` wait for the thread; `shutdown(wait=False)` does not."""
    if verb == "join":
        return True  # a timed join too: what follows assumes the thread ended (see the module doc)
    if verb == "shutdown":
        return not any(
            (a.keyword is None or a.keyword.value == "wait") and dotted_name(a.value) == "False" for a in call.args
        )
    return True


def _is_attr_of(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _generator_or_async(function: cst.FunctionDef) -> tuple[bool, bool]:
    is_generator = False
    for node, _ in _walk(function.body, [], set()):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) and node is not function:
            continue
        if isinstance(node, (cst.Yield,)):
            is_generator = True
            break
    return is_generator, function.asynchronous is not None


def _is_store(path: Sequence[cst.CSTNode]) -> bool:
    node, parent = path[-1], path[-2]
    if isinstance(parent, cst.AssignTarget) and parent.target is node:
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node:
        return True
    return False


def _raw_kind(path: Sequence[cst.CSTNode]) -> str:
    """R/W/B/M/C/I of one `self.attr` node from its parents (before combining per statement)."""
    node, parent = path[-1], path[-2]
    grand = path[-3] if len(path) >= 3 else None
    # climb out of unpacking targets: `self.a, self.b = ...`, `for self.i, x in ...`
    index = len(path) - 2
    while index > 0 and isinstance(path[index], (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        index -= 1
    owner, child = path[index], path[index + 1]
    if isinstance(owner, cst.AssignTarget) or isinstance(owner, cst.Del) or isinstance(owner, cst.AsName):
        return WRITE
    if isinstance(owner, cst.AnnAssign) and owner.target is child:
        return WRITE if owner.value is not None else READ
    if isinstance(owner, cst.AugAssign) and owner.target is child:
        return BINDING_RMW
    if isinstance(owner, (cst.For, cst.CompFor)) and owner.target is child:
        return WRITE
    if iteration_use(path) is not None:  # a loop, a comprehension, `json.dump(self.d, f)`: `analysis.iteration_sites`
        return ITERATE
    if isinstance(parent, cst.Attribute) and parent.value is node:  # `self.a.m(...)`, `self.a.b = v`
        if isinstance(grand, cst.Call) and grand.func is parent:
            return MUTATE if parent.attr.value in MUTATORS else READ
        if isinstance(grand, (cst.AssignTarget, cst.Del)):
            return MUTATE
        if isinstance(grand, cst.AugAssign) and grand.target is parent:
            return CONTENTS_RMW
        return READ
    if isinstance(parent, cst.Subscript) and parent.value is node:  # `self.a[k]`
        if isinstance(grand, (cst.AssignTarget, cst.Del)):
            return MUTATE
        if isinstance(grand, cst.AugAssign) and grand.target is parent:
            return CONTENTS_RMW
        return READ
    return READ
