"""Methods and functions a wrapper runs under a lock: `synchronized` decorators, Twisted's `synchronize`.

A wrapper that takes a lock around every call serialises the wrapped code as a `with lock:`
around its body would. Recognised, by names that mean exactly that:
- a decorator whose last name is `synchronized` or `synchronize` (wrapt's `@synchronized`,
  the Java-style recipe), bare or called: `@synchronized(lock)` holds `lock`; bare, it holds a
  lock of the instance for a method (wrapt keeps it on the instance) and one lock of the
  function for a module function;
- Twisted's `threadable.synchronize(C, ...)`, called at module level: it wraps the methods
  `C` defines whose names are listed in the class attribute `synchronized` (a list of
  strings on `C` or a base class of the module) with the instance's lock.
Not recognised: a wrapper under another name (`@locked`, `@serialised`), a `synchronize`
call inside a function (it may not run), and wrapped methods `C` inherits without defining
(Twisted wraps only `C.__dict__`'s). The lock of a bare wrapper is taken again by the
same thread without deadlock in both libraries (an `RLock`), but racelint does not rely on it.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .names import dotted_name

WRAPPER_NAMES = frozenset({"synchronized", "synchronize"})
#: the rule pages that say so (`docs.py`): the rules whose findings a held lock removes
PAGE_CODES = frozenset({"CRL101", "CRL102", "CRL105", "CRL107", "CRL301", "CRL302", "CRL303", "CRL401", "CRL402"})
PAGE_TEXT = """
A function or method a wrapper runs under a lock is read as holding that lock in its body
(not in a function or lambda nested there): a decorator named `synchronized` or
`synchronize` (wrapt's `@synchronized`, the Java-style recipe; `@synchronized(lock)` holds
`lock`, a bare one the instance's lock for a method and one lock of the function for a module
function), and Twisted's `threadable.synchronize(C)` called at module level, which wraps the
methods `C` defines whose names its `synchronized` class attribute (or a base class's in the
module) lists, with the instance's lock. Other names (`@locked`), a `synchronize` call inside a
function and methods `C` only inherits are not read so. A wrapper's lock has no name code could
take: where a fix would have to hold it (another writer of the file holds it), no fix is offered
and the message says to wrap the function the same way.
"""
#: the lock key of a bare wrapper on a method: one lock per instance, as `self._lock` is; not an
#: identifier, so no fix spells it (`is_wrapper_key`): the lock has no name code could take
INSTANCE_KEY = "self.<synchronized>"


def is_wrapper_key(key: str) -> bool:
    """A lock only a wrapper takes (no expression names it)."""
    return key.rpartition(".")[2].startswith("<synchronized")


def synchronized_functions(module: cst.Module) -> dict[int, str]:
    """id(function) -> the key of the lock its wrapper holds around every call."""
    found: dict[int, str] = {}
    classes = {stmt.name.value: stmt for stmt in module.body if isinstance(stmt, cst.ClassDef)}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            key = _decorated(stmt, f"<synchronized {stmt.name.value}>")
            if key is not None:
                found[id(stmt)] = key
        elif isinstance(stmt, cst.ClassDef):
            for method in _methods(stmt):
                key = _decorated(method, INSTANCE_KEY)
                if key is not None:
                    found[id(method)] = key
    for name in _synchronize_calls(module):
        klass = classes.get(name)
        if klass is None:
            continue
        listed = _listed(klass, classes, set())
        for method in _methods(klass):
            if method.name.value in listed:
                found[id(method)] = INSTANCE_KEY
    return found


def _methods(klass: cst.ClassDef) -> list[cst.FunctionDef]:
    body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
    return [stmt for stmt in body if isinstance(stmt, cst.FunctionDef)]


def _decorated(function: cst.FunctionDef, bare_key: str) -> Optional[str]:
    for decorator in function.decorators:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        name = dotted_name(call.func if call is not None else expr) or ""
        if name.rpartition(".")[2] not in WRAPPER_NAMES:
            continue
        if call is not None and call.args:
            lock = dotted_name(call.args[0].value)
            if lock is not None:
                return lock
            continue  # `@synchronized(make_lock())`: a lock we cannot name
        return bare_key
    return None


def _synchronize_calls(module: cst.Module) -> list[str]:
    """Class names handed to a module-level `synchronize(...)` / `threadable.synchronize(...)`."""
    names = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                if (dotted_name(call.func) or "").rpartition(".")[2] == "synchronize":
                    names.extend(arg.value.value for arg in call.args if isinstance(arg.value, cst.Name))
    return names


def _listed(klass: cst.ClassDef, classes: dict[str, cst.ClassDef], seen: set[str]) -> set[str]:
    """The method names of the class attribute `synchronized` (the class's own, else a base's)."""
    seen.add(klass.name.value)
    body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Assign)
                    and any(isinstance(t.target, cst.Name) and t.target.value == "synchronized" for t in small.targets)
                    and isinstance(small.value, (cst.List, cst.Tuple))
                ):
                    return {
                        e.value.evaluated_value
                        for e in small.value.elements
                        if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
                    }
    for base in klass.bases:
        name = dotted_name(base.value)
        if name in classes and name not in seen:
            return _listed(classes[name], classes, seen)
    return set()
