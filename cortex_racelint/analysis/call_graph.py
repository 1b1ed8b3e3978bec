"""Which of this module's functions a piece of code can call: the module's own call graph.

A fix that holds a lock while code runs must know what that code can reach: the same lock
taken again (re-entry) or another lock whose holder comes back (lock order). Only calls the
module itself resolves are followed: module functions by name, a class called (its
constructors, through in-module bases), `self.m()` / `cls.m()` (the enclosing class, its
in-module bases, and overrides in its in-module subclasses, since `self` may be one), `cls()`
and `type(self)()` (constructors of the class and its subclasses), `super().m()`, and
`ClassName.m()`. Calls into other modules, callbacks passed as values and `getattr` are not
seen: the limit is documented on the rule pages.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Sequence

import libcst as cst

from .context import LintContext
from .lazyinit import walk_statements
from .names import dotted_name

_CONSTRUCTORS = ("__new__", "__init__", "__post_init__")


def module_call_graph(context: LintContext) -> "ModuleCallGraph":
    """The module's call graph, built once per module (memoised on the context): every fix asks the same."""
    key = ("module_call_graph",)
    if key not in context.memo:
        context.memo[key] = ModuleCallGraph(context.module)
    return context.memo[key]  # type: ignore[return-value]


class ModuleCallGraph:
    """Module-level functions, classes and methods, and the calls between them."""

    def __init__(self, module: cst.Module) -> None:
        self.functions: dict[str, cst.FunctionDef] = {}
        self.methods: dict[str, dict[str, cst.FunctionDef]] = {}
        self.bases: dict[str, list[str]] = {}
        #: id(function) -> the class it is a method of (None for module functions)
        self.owner: dict[int, Optional[str]] = {}
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
                self.owner[id(stmt)] = None
            elif isinstance(stmt, cst.ClassDef):
                self._add_class(stmt)

    def _add_class(self, node: cst.ClassDef) -> None:
        name = node.name.value
        self.bases[name] = [base for arg in node.bases if (base := dotted_name(arg.value))]
        methods = self.methods.setdefault(name, {})
        if isinstance(node.body, cst.IndentedBlock):
            for stmt in node.body.body:
                if isinstance(stmt, cst.FunctionDef):
                    methods[stmt.name.value] = stmt
                    self.owner[id(stmt)] = name

    # -- classes ----------------------------------------------------------------
    def ancestry(self, class_name: str) -> list[str]:
        """The class and its in-module bases, depth first (an approximation of the MRO)."""
        seen: list[str] = []
        stack = [class_name]
        while stack:
            current = stack.pop(0)
            if current in self.methods and current not in seen:
                seen.append(current)
                stack.extend(self.bases.get(current, []))
        return seen

    def subclasses(self, class_name: str) -> list[str]:
        found = [name for name in self.methods if name != class_name and class_name in self.ancestry(name)]
        return sorted(found)

    def lookup(self, class_name: str, method: str) -> Optional[cst.FunctionDef]:
        for current in self.ancestry(class_name):
            if method in self.methods[current]:
                return self.methods[current][method]
        return None

    def _dispatch(self, class_name: str, method: str) -> list[cst.FunctionDef]:
        """What `self.method()` can run when `self` is `class_name` or any in-module subclass."""
        found = [self.lookup(name, method) for name in [class_name, *self.subclasses(class_name)]]
        return _unique(f for f in found if f is not None)

    def dispatch(self, class_name: str, method: str) -> list[cst.FunctionDef]:
        """What `self.method()` (or a callback bound to it) can run on a `class_name` object."""
        return self._dispatch(class_name, method)

    def _constructors(self, class_name: str, with_subclasses: bool) -> list[cst.FunctionDef]:
        classes = [class_name, *self.subclasses(class_name)] if with_subclasses else [class_name]
        return _unique(f for name in classes for method in _CONSTRUCTORS if (f := self.lookup(name, method)) is not None)

    # -- calls ------------------------------------------------------------------
    def callees(self, call: cst.Call, owner: Optional[str], receiver: Optional[str]) -> list[cst.FunctionDef]:
        """The module's functions `call` can run, seen from a method of `owner` whose first parameter is `receiver`."""
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            if name in self.functions:
                return [self.functions[name]]
            if name in self.methods:
                return self._constructors(name, with_subclasses=False)
            if owner is not None and name == receiver:  # `cls()` in a classmethod
                return self._constructors(owner, with_subclasses=True)
            return []
        if isinstance(func, cst.Call) and dotted_name(func.func) == "type" and owner is not None:
            return self._constructors(owner, with_subclasses=True)  # `type(self)()`
        if not isinstance(func, cst.Attribute):
            return []
        method = func.attr.value
        target = func.value
        if isinstance(target, cst.Call) and dotted_name(target.func) == "super" and owner is not None:
            bases = self.ancestry(owner)[1:]
            return _unique(f for base in bases if (f := self.lookup(base, method)) is not None)[:1]
        name = dotted_name(target)
        if owner is not None and name == receiver:
            return self._dispatch(owner, method)
        if name in self.methods:
            found = self.lookup(name, method)
            return [found] if found is not None else []
        return []

    def reachable(self, statements: Sequence[cst.CSTNode], function: Optional[cst.FunctionDef]) -> list[cst.FunctionDef]:
        """Every module function that running `statements` (inside `function`) can call, transitively."""
        found: list[cst.FunctionDef] = []
        seen: set[int] = set()
        pending = list(self._calls_in(statements, function))
        while pending:
            target = pending.pop()
            if id(target) in seen:
                continue
            seen.add(id(target))
            found.append(target)
            pending.extend(self._calls_in([target.body], target))
        return found

    def _calls_in(self, statements: Sequence[cst.CSTNode], function: Optional[cst.FunctionDef]) -> Iterator[cst.FunctionDef]:
        owner = self.owner.get(id(function)) if function is not None else None
        receiver = _first_parameter(function) if owner is not None and function is not None else None
        for node in walk_statements(statements):
            if isinstance(node, cst.Call):
                yield from self.callees(node, owner, receiver)


def _first_parameter(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.params or function.params.posonly_params
    if not params:
        return None
    decorators = {dotted_name(d.decorator) for d in function.decorators}
    return None if "staticmethod" in decorators else params[0].name.value


def _unique(functions: Iterable[cst.FunctionDef]) -> list[cst.FunctionDef]:
    seen: set[int] = set()
    result = []
    for function in functions:
        if id(function) not in seen:
            seen.add(id(function))
            result.append(function)
    return result
