"""A module's summary for the project index: small, JSON-serialisable, built from CPython's `ast`.

Built in phase 1 from the tree the prefilter parses anyway (no LibCST), cached with the
file's result. It records names as written; `join.py` resolves them across modules:

- `imports`: local name -> [level, module, imported name or None];
- `globals`: module global -> the called name that binds it (`_x = Monitor()`, also inside a
  function declaring `global _x`): a candidate process-wide instance;
- `functions`: "f", "C.m", "f.inner" -> its line, the calls it makes (["n", "a.b"] for `a.b()`,
  ["r", "get_x|m"] for `get_x().m()` or `v = get_x(); v.m()`), what it returns when that is
  a shared object (["g", "_x"]: a module global, ["c", ""]: a class-held instance), and for
  methods the `self.<attr>` read-modify-writes and lazy initialisations (attr, line, column,
  under a `with <lock>`);
- `classes`: name -> line, column, and whether it starts threads on its own methods;
- `entries`: thread entries (`entries.thread_entry`): kind, target as written, the function
  making it, position, and whether several copies may run at once.
The facts are a superset: phase 2 re-checks each access with the full lock analysis.
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional, Union

from ..analysis.locks import looks_like_lock_name
from .entries import thread_entry

VERSION = 1
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
MODULE_CODE = "<module>"


def dotted(node: ast.AST) -> Optional[str]:
    """`a.b.c` for a name or attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def build_summary(tree: ast.Module) -> dict:
    """The summary of one parsed module (see the module docstring for its shape)."""
    builder = _Builder()
    builder.module(tree)
    return {
        "v": VERSION,
        "imports": builder.imports,
        "globals": builder.globals,
        "functions": builder.functions,
        "classes": builder.classes,
        "entries": builder.entries,
    }


def _own_nodes(body: list[ast.stmt]) -> Iterator[tuple[ast.AST, bool]]:
    """Every node of a body with whether it sits in a loop, not descending into defs or classes."""
    stack: list[tuple[ast.AST, bool]] = [
        (stmt, False) for stmt in reversed(body) if not isinstance(stmt, (*_FUNCTION, ast.ClassDef))
    ]
    while stack:
        node, looped = stack.pop()
        yield node, looped
        inner = looped or isinstance(node, _LOOPS)
        for child in reversed(list(ast.iter_child_nodes(node))):
            if isinstance(child, (*_FUNCTION, ast.ClassDef)):
                continue
            stack.append((child, inner))


class _Builder:
    def __init__(self) -> None:
        self.imports: dict[str, list] = {}
        self.globals: dict[str, str] = {}
        self.functions: dict[str, dict] = {}
        self.classes: dict[str, dict] = {}
        self.entries: list[list] = []

    # -- structure ------------------------------------------------------------------
    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self._module_binding(stmt)
        self._code(MODULE_CODE, tree.body, None, set())
        for stmt in tree.body:
            self._definition(stmt, "", None)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = [0, alias.name, None]
                    else:
                        head = alias.name.split(".")[0]
                        self.imports.setdefault(head, [0, head, None])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = [node.level, node.module or "", alias.name]

    def _module_binding(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            called = dotted(stmt.value.func)
            for target in targets:
                if isinstance(target, ast.Name) and called:
                    self.globals[target.id] = called
        elif isinstance(stmt, (ast.If, ast.Try)):
            for inner in stmt.body:
                self._module_binding(inner)

    def _definition(self, stmt: ast.stmt, prefix: str, class_name: Optional[str]) -> None:
        if isinstance(stmt, _FUNCTION):
            qual = prefix + stmt.name
            self._function(qual, stmt, class_name)
            for inner in ast.walk(stmt):
                if inner is not stmt and isinstance(inner, _FUNCTION) and self._direct_child(stmt, inner):
                    self._definition(inner, qual + ".", class_name)
        elif isinstance(stmt, ast.ClassDef) and not prefix:
            self.classes[stmt.name] = {"line": stmt.lineno, "col": stmt.col_offset, "own_threads": False}
            for inner in stmt.body:
                self._definition(inner, stmt.name + ".", stmt.name)

    @staticmethod
    def _direct_child(outer: ast.AST, inner: ast.AST) -> bool:
        """`inner` is defined in `outer`'s own body (not in a def nested deeper)."""
        stack = list(ast.iter_child_nodes(outer))
        while stack:
            node = stack.pop()
            if node is inner:
                return True
            if not isinstance(node, (*_FUNCTION, ast.ClassDef, ast.Lambda)):
                stack.extend(ast.iter_child_nodes(node))
        return False

    # -- one function's facts ---------------------------------------------------------
    def _function(self, qual: str, node: Union[ast.FunctionDef, ast.AsyncFunctionDef], class_name: Optional[str]) -> None:
        declared = {name for n, _ in _own_nodes(node.body) if isinstance(n, ast.Global) for name in n.names}
        info = self._code(qual, node.body, class_name, declared)
        info["line"] = node.lineno
        info["col"] = node.col_offset
        if class_name is not None and qual.count(".") == 1:
            info["rmw"], info["lazy"] = _self_updates(node)

    def _code(self, qual: str, body: list[ast.stmt], class_name: Optional[str], declared: set[str]) -> dict:
        calls: list[list] = []
        aliases: dict[str, str] = {}
        returns: Optional[list] = None
        for node, looped in _own_nodes(body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call):
                target, called = node.targets[0], dotted(node.value.func)
                if isinstance(target, ast.Name) and called:
                    if target.id in declared:
                        self.globals[target.id] = called
                    else:
                        aliases[target.id] = called
            elif isinstance(node, ast.Return) and node.value is not None:
                returns = returns or self._returned(node.value, declared, class_name)
            elif isinstance(node, ast.Call):
                ref = call_ref(node.func, aliases)
                if ref is not None:
                    calls.append([*ref, node.lineno, node.col_offset])
                entry = thread_entry(node)
                if entry is not None:
                    target = call_ref(_unwrap(entry.target), aliases)
                    if target is not None:
                        own = class_name is not None and target[1].startswith("self.")
                        if own:
                            self.classes[class_name]["own_threads"] = True  # type: ignore[index]
                        self.entries.append(
                            [entry.kind, *target, qual, node.lineno, node.col_offset, entry.concurrent or looped, own]
                        )
        info = {"calls": calls, "returns": returns}
        self.functions[qual] = info
        return info

    def _returned(self, value: ast.expr, declared: set[str], class_name: Optional[str]) -> Optional[list]:
        if isinstance(value, ast.Name) and (value.id in declared or value.id in self.globals):
            return ["g", value.id]
        if class_name is not None and isinstance(value, ast.Attribute):
            owner = dotted(value.value)
            if owner in ("cls", class_name):
                return ["c", value.attr]
        return None


def _unwrap(target: ast.expr) -> ast.expr:
    """The callable inside `functools.partial(f, ...)` or `lambda: f(...)`."""
    if isinstance(target, ast.Call) and (dotted(target.func) or "").split(".")[-1] == "partial" and target.args:
        return target.args[0]
    if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
        return target.body.func
    return target


def call_ref(func: ast.expr, aliases: dict[str, str]) -> Optional[list]:
    """["n", "a.b"] for `a.b`, ["r", "get_x|m"] for a method of a returned object, else None."""
    name = dotted(func)
    if name is not None:
        head, _, rest = name.partition(".")
        if rest and head in aliases and "." not in rest:
            return ["r", f"{aliases[head]}|{rest}"]
        return ["n", name]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        made = dotted(func.value.func)
        if made is not None:
            return ["r", f"{made}|{func.attr}"]
    return None


# -- read-modify-writes and lazy initialisation of `self.<attr>` ----------------------------


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _stored_attr(target: ast.AST) -> Optional[str]:
    """`a` for a store into `self.a` or `self.a[k]`."""
    if isinstance(target, ast.Subscript):
        target = target.value
    return _self_attr(target)


def _reads(expr: ast.AST, attr: str) -> bool:
    return any(_self_attr(n) == attr for n in ast.walk(expr))


def _lockish(with_node: Union[ast.With, ast.AsyncWith]) -> bool:
    for item in with_node.items:
        name = dotted(item.context_expr) or ""
        if name and looks_like_lock_name(name.split(".")[-1]):
            return True
    return False


def _self_updates(function: ast.AST) -> tuple[list[list], list[list]]:
    """([attr, line, col, locked] of each read-modify-write, the same of each lazy initialisation)."""
    rmw: list[list] = []
    lazy: list[list] = []
    acquires = any(isinstance(n, ast.Attribute) and n.attr == "acquire" for n in ast.walk(function))

    def visit(node: ast.AST, locked: bool) -> None:
        if isinstance(node, (ast.With, ast.AsyncWith)) and _lockish(node):
            locked = True
        if isinstance(node, ast.AugAssign):
            attr = _stored_attr(node.target)
            if attr:
                rmw.append([attr, node.lineno, node.col_offset, locked])
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            attr = _stored_attr(node.targets[0])
            if attr and _reads(node.value, attr):
                rmw.append([attr, node.lineno, node.col_offset, locked])
        elif isinstance(node, ast.If):
            attr = _lazy_test(node.test)
            if attr and any(
                isinstance(s, ast.Assign) and any(_self_attr(t) == attr for t in s.targets) for s in node.body
            ):
                lazy.append([attr, node.lineno, node.col_offset, locked])
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (*_FUNCTION, ast.ClassDef, ast.Lambda)):
                visit(child, locked)

    for stmt in getattr(function, "body", []):
        visit(stmt, acquires)
    return rmw, lazy


def _lazy_test(test: ast.expr) -> Optional[str]:
    """`a` for `self.a is None` and `not self.a`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _self_attr(test.operand)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return _self_attr(test.left)
    return None
