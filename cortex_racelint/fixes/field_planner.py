"""What both shared-field fix forms ask about a racing `self.<attr>` access.

Planning state for one class (its thread analysis, the attributes that race, the object's
lock) and the questions the critical-section and read-under-lock forms share: which block
holds a statement, whether it may run under the lock, a fresh local name.
"""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import libcst as cst

from ..analysis.cheap_calls import (
    BLOCKING_PREFIXES,
    CHEAP_BUILTINS,
    CHEAP_METHODS,
    CHEAP_QUALIFIED,
    CHEAP_QUALIFIED_PREFIXES,
    SAFE_ON_THREAD_SAFE_OBJECTS,
)
from ..analysis.context import LintContext
from ..analysis.file_writes import walk_all
from ..analysis.scope_walk import own_nodes
from ..analysis.threads import Access, ClassThreads
from .locks.shared_fields import ObjectCalls, object_calls, object_mutex, shared_field_lock, waits

Replacements = dict[cst.CSTNode, Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]]


@dataclass
class Plan:
    """One finding's fix: its message, its node replacements, and the lock it holds."""

    message: str
    replacements: Replacements
    lock: cst.BaseExpression


class FieldPlanner:
    def __init__(self, context: LintContext, class_node: cst.ClassDef, threads: ClassThreads) -> None:
        self.context = context
        self.class_node = class_node
        self.threads = threads
        self.racy = threads.racy_accesses()
        self.racy_attrs = {a.attr for a in self.racy}
        self._lock: Optional[tuple[cst.BaseExpression, list]] = None
        self._names_cache: dict[int, set[str]] = {}

    # -- the lock -------------------------------------------------------------
    def lock_edits(self) -> tuple[cst.BaseExpression, list]:
        """The object's mutex and the edits creating it (computed once per class)."""
        if self._lock is None:
            self._lock = object_mutex(self.context, self.class_node)
        return self._lock

    def object_calls(self) -> ObjectCalls:
        """What the class's methods can run (calls, properties, callback attributes), built once."""
        return object_calls(self.context, self.class_node)

    def lock_for(self, access: Access) -> cst.BaseExpression:
        lock, _ = self.lock_edits()
        self_name = self.threads.regions[access.region].self_name
        partner_locks = [c.other.locks for c in self.threads.conflicts(access) if c.other.locks]
        return shared_field_lock(lock, self_name, partner_locks)

    # -- where the access is --------------------------------------------------
    def block_of(self, access: Access, stmt: cst.CSTNode) -> Optional[cst.IndentedBlock]:
        path = access.path
        for index, node in enumerate(path):
            if node is stmt:
                parent = path[index - 1] if index else None
                return parent if isinstance(parent, cst.IndentedBlock) else None
        return None

    def is_racy(self, node: cst.CSTNode, self_name: str) -> bool:
        """`self.<attr>` of an attribute some access of which races."""
        return is_self_attr(node, self_name) and node.attr.value in self.racy_attrs  # type: ignore[attr-defined]

    # -- cheapness ----------------------------------------------------------
    def cheap(self, stmt: cst.CSTNode, access: Access) -> bool:
        """Nothing in `stmt` may block, call back into the object or suspend."""
        region = self.threads.regions[access.region]
        for node in own_nodes(stmt):
            if node is not stmt and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                return False
            if isinstance(node, (cst.Yield, cst.Await, cst.While, cst.With, cst.Import, cst.ImportFrom)):
                return False
            if isinstance(node, cst.Call) and not self._cheap_call(node, region.self_name):
                return False
            if is_self_attr(node, region.self_name) and node.attr.value in self.threads.properties:
                return False
        return True

    def _cheap_call(self, call: cst.Call, self_name: str) -> bool:
        func = call.func
        imports = self.context.imports
        if waits(call, imports):
            return False  # `q.get()`, `x.acquire()`: waits for another thread, which may need the lock
        qualified = imports.qualify(func) or ""
        if any(qualified == p or qualified.startswith(p) for p in BLOCKING_PREFIXES):
            return False
        if qualified in CHEAP_QUALIFIED or qualified.startswith(CHEAP_QUALIFIED_PREFIXES):
            return True
        if isinstance(func, cst.Name):
            # builtins only: a constructor may do anything (connect a socket): build values outside
            return func.value in CHEAP_BUILTINS and func.value not in imports.aliases
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if isinstance(receiver, cst.Name) and receiver.value == self_name:
                return False  # a method of the object: may take the lock itself
            if is_self_attr(receiver, self_name):
                attr = receiver.attr.value  # type: ignore[union-attr]
                if attr in self.threads.methods:
                    return False
                if attr in self.threads.skipped_attributes:
                    return method in SAFE_ON_THREAD_SAFE_OBJECTS
                return method in CHEAP_METHODS
            if isinstance(receiver, (cst.SimpleString, cst.ConcatenatedString)) and method in ("join", "format"):
                return True
            return method in CHEAP_METHODS
        return False

    def calls_method(self, node: cst.CSTNode, self_name: str) -> bool:
        """`self.m(...)` for a method of the class: it may change shared state or take the lock."""
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        return (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self_name
            and func.attr.value in self.threads.methods
        )

    # -- names for the copies -------------------------------------------------
    def _function_names(self, access: Access) -> set[str]:
        function = self.threads.regions[access.region].function
        key = id(function)
        if key not in self._names_cache:
            skip = set()
            for node in walk_all(function):
                if isinstance(node, cst.Attribute):
                    skip.add(id(node.attr))
                elif isinstance(node, cst.Arg) and node.keyword is not None:
                    skip.add(id(node.keyword))
            names = {n.value for n in walk_all(function) if isinstance(n, cst.Name) and id(n) not in skip}
            self._names_cache[key] = names
        return self._names_cache[key]

    def local_name(self, attr: str, access: Access, taken: set[str], suffix: str = "") -> str:
        """A local for a copy of `attr`, clashing with no name the function uses (nor `taken`)."""
        base = (attr.lstrip("_") or "value") + suffix
        if base[0].isdigit():
            base = "value_" + base
        names = self._function_names(access) | taken
        candidate = base
        if candidate in names or keyword.iskeyword(candidate) or hasattr(builtins, candidate):
            candidate = f"{base}_value"
        counter = 2
        while candidate in names:
            candidate = f"{base}_value{counter}"
            counter += 1
        taken.add(candidate)
        return candidate


def is_self_attr(node: cst.CSTNode, self_name: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self_name


def within(path: Sequence[cst.CSTNode], node: cst.CSTNode) -> bool:
    return any(p is node for p in path)


def assign(local: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(local))], value)])
