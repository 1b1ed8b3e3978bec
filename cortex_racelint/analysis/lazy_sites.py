"""A classified lazy-init site, and the shape questions both the CRL1 rules and their fixes ask.

Kept out of `rules/` because the fixes (and `fixes/locks.py`) need them too: which class a
`cls.x` state lives on, the `v = cache.get(k)` local copy, the `return x` fast path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from .context import LintContext
from .lazyinit import METACLASS_BASES, LazyCheck, _attr_probe, _is_none, walk_statements
from .names import dotted_name


@dataclass
class LazyInitSite:
    kind: str  # "global" | "class" | "keyed" | "broken-dcl" | "metaclass" | "closure" | "funcattr"
    check: LazyCheck
    creation: cst.CSTNode
    early_return: bool = False
    lock_with: Optional[cst.With] = None  # for broken-dcl: the `with lock:` lacking a re-check
    #: `v = cache.get(k)` when the `if` tests that local copy: repeated under the lock before the re-check
    reread: Optional[cst.SimpleStatementLine] = None
    #: an EAFP cache: the `except KeyError:` that fills it, and the `try` body's one read (`return _c[k]`)
    handler: Optional[cst.ExceptHandler] = None
    probe: Optional[cst.SimpleStatementLine] = None
    #: `match _x:` / `case None:`: the case that creates the state
    case: Optional[cst.MatchCase] = None
    #: `_x = _x or X()`: the absence test it implies (`not _x`), and the real assignment (`creation`
    #: is `_x = X()`, built for the fix and the consequence)
    missing_test: Optional[cst.BaseExpression] = None
    made_in: Optional[cst.Assign] = None

    def creating_block(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """The statements that run with the creation when the state is missing (their effects repeat too)."""
        if self.early_return or self.missing_test is not None:
            return [self.creation]
        owner = self.handler or self.case or node
        return list(owner.body.children)  # type: ignore[attr-defined]


def class_receiver(context: LintContext, state: str) -> Optional[str]:
    """`cls` / `ClassName` when `state` is a class attribute of the enclosing class."""
    receiver, _, attribute = state.rpartition(".")
    class_node, function = context.class_, context.function
    if not receiver or "." in receiver or class_node is None or function is None:
        return None
    if receiver == class_node.name.value:
        return receiver
    params = function.params.params
    decorators = {dotted_name(d.decorator) for d in function.decorators}
    is_classmethod = "classmethod" in decorators
    # in a metaclass every method's first parameter is a class: `cls._instances` is the metaclass's attribute;
    # but `__init__`'s is the class being made, which no other thread can see yet
    in_metaclass = function.name.value != "__init__" and is_metaclass(class_node, context.module)
    if params and params[0].name.value == receiver and "staticmethod" not in decorators and (
        is_classmethod or function.name.value == "__new__" or in_metaclass
    ):
        return receiver
    return None


def is_metaclass(class_node: cst.ClassDef, module: Optional[cst.Module] = None) -> bool:
    """`class Meta(type):`: `cls.x` in its methods is state shared by every class it makes. With
    the module: also a class deriving from a metaclass defined in it (`class SingletonMeta(Meta)`,
    however deep), since it is a metaclass too."""
    classes = {s.name.value: s for s in module.body if isinstance(s, cst.ClassDef)} if module is not None else {}
    pending, seen = [class_node], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for base in current.bases:
            name = dotted_name(base.value) if base.keyword is None else None
            if name in METACLASS_BASES:
                return True
            if name in classes:
                pending.append(classes[name])
    return False


def cache_read(stmt: cst.CSTNode) -> Optional[tuple[str, str]]:
    """`(local, cache)` for a line `local = cache.get(key)` (or `.get(key, None)`), and
    `(local, "R.x")` for `local = getattr(R, "x", None)` (a local copy of an attribute)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return None
    assign = stmt.body[0]
    call = assign.value
    if not (len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) and isinstance(call, cst.Call)):
        return None
    local = assign.targets[0].target.value
    if all(a.keyword is None and not a.star for a in call.args) and dotted_name(call.func) == "getattr":
        if len(call.args) == 3 and _is_none(call.args[2].value):
            probed = _attr_probe(call, "getattr")
            return (local, probed) if probed else None
        return None
    if not (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "get"
        and all(a.keyword is None and not a.star for a in call.args)
        and (len(call.args) == 1 or (len(call.args) == 2 and _is_none(call.args[1].value)))
    ):
        return None
    cache = dotted_name(call.func.value)
    return (local, cache) if cache else None


def reads_attribute(stmt: cst.SimpleStatementLine) -> bool:
    """A `cache_read` line that copies an attribute (`getattr`), not a cache entry."""
    return dotted_name(stmt.body[0].value.func) == "getattr"  # type: ignore[attr-defined]


def returns_state(stmt: cst.CSTNode, state: str, alias: Optional[str] = None) -> bool:
    """`return _x` (or `return p` after the walrus test `(p := _x) is not None`)."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Return)
        and stmt.body[0].value is not None
        and dotted_name(stmt.body[0].value) in {state, alias} - {None}
    )


def function_nonlocals(function: cst.FunctionDef) -> set[str]:
    """Names a function declares `nonlocal` (in its own body): closure state shared by its calls."""
    return {
        item.name.value
        for node in walk_statements([function.body])
        if isinstance(node, cst.Nonlocal)
        for item in node.names
    }
