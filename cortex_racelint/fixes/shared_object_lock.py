"""The fix of a read-modify-write on a shared object (CRL404): the statement under the object's lock.

The lock is the one the shared-field fixes use (`locks.shared_fields.object_mutex`): the
object's own Lock/RLock/Condition when it has one that no holder takes around a call into
the fixed method (nor holds across a wait for a thread), else a new one. Only a cheap
statement is wrapped (builtins and container methods, no call on the object, no I/O), so the
critical section can neither block nor come back for the lock: no deadlock is added.
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from ..analysis.cheap_calls import CHEAP_BUILTINS, CHEAP_METHODS
from ..analysis.context import LintContext
from ..analysis.scope_walk import own_nodes
from ..analysis.shared_objects import SharedSite
from ..ftypes import FixApplicability
from ..rule import Fix
from .blocks import with_lock
from .locks.shared_fields import held_lock_conflict, object_mutex


def _receiver(method: cst.FunctionDef) -> str:
    params = method.params.posonly_params or method.params.params
    return params[0].name.value if params else "self"


def _cheap(line: cst.SimpleStatementLine, receiver: str, imports_aliases: dict[str, str]) -> bool:
    for node in own_nodes(line):
        if isinstance(node, (cst.Await, cst.Yield, cst.Lambda, cst.NamedExpr)):
            return False
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Name):
            if func.value not in CHEAP_BUILTINS or func.value in imports_aliases:
                return False
        elif isinstance(func, cst.Attribute):
            if isinstance(func.value, cst.Name) and func.value.value == receiver:
                return False  # a method of the object: may take the lock itself
            if func.attr.value not in CHEAP_METHODS:
                return False
        else:
            return False
    return True


def grouped_fixes(
    context: LintContext, class_node: cst.ClassDef, sites: list[SharedSite]
) -> list[tuple[list[SharedSite], Union[Fix, str]]]:
    """Sites on consecutive lines of one block share one `with` (one finding, the others related to it);
    a site with no fix stands alone with its reason."""
    groups: list[tuple[list[SharedSite], Union[Fix, str]]] = []
    run: list[SharedSite] = []

    def close() -> None:
        if run:
            groups.append((list(run), _wrap(context, class_node, run)))
            run.clear()

    for site in sites:
        plan = locked_update_fix(context, class_node, site)
        if isinstance(plan, str):
            close()
            groups.append(([site], plan))
            continue
        if run and not _follows(run[-1], site):
            close()
        run.append(site)
    close()
    return groups


def _follows(previous: SharedSite, site: SharedSite) -> bool:
    if previous.block is None or site.block is not previous.block:
        return False
    body = list(site.block.body)
    indices = [i for i, stmt in enumerate(body) if stmt is previous.line or stmt is site.line]
    return len(indices) == 2 and indices[1] == indices[0] + 1


def _wrap(context: LintContext, class_node: cst.ClassDef, run: list[SharedSite]) -> Union[Fix, str]:
    first = locked_update_fix(context, class_node, run[0])
    if len(run) == 1 or isinstance(first, str):
        return first
    (line, wrapped), = first.replacements.items()
    assert isinstance(wrapped, cst.With) and isinstance(wrapped.body, cst.IndentedBlock)
    lines = [site.line for site in run if site.line is not None]
    body = wrapped.body.with_changes(body=[*wrapped.body.body, *lines[1:]])
    replacements: dict = {line: wrapped.with_changes(body=body)}
    for extra in lines[1:]:
        replacements[extra] = cst.RemoveFromParent()
    attrs = ", ".join(dict.fromkeys(f"`self.{site.attr}`" for site in run))
    message = f"Hold `{context.module.code_for_node(wrapped.items[0].item)}` around the updates of {attrs}"
    return Fix(message, replacements, first.edits, FixApplicability.UNSAFE)


def _caller_locks(context: LintContext, class_node: cst.ClassDef, method: cst.FunctionDef) -> tuple[str, ...]:
    """The object's locks some caller, in any module, holds around a call reaching `method` (`project.join`)."""
    klass = context.project_facts.get("classes", {}).get(class_node.name.value, {})
    return tuple(klass.get("methods", {}).get(method.name.value, {}).get("caller_locks", ()))


def locked_update_fix(context: LintContext, class_node: cst.ClassDef, site: SharedSite) -> Union[Fix, str]:
    """The fix of one site, or why there is none."""
    line, block = site.line, site.block
    if line is None or block is None:
        return f"the update of `self.{site.attr}` sits in a one-line construct that cannot be wrapped"
    if len(line.body) != 1:
        return f"the update of `self.{site.attr}` shares its line with other statements: split it first"
    receiver = _receiver(site.method)
    if not _cheap(line, receiver, context.imports.aliases):
        return f"the update of `self.{site.attr}` also makes a call that must not run under the lock"
    mutex, edits = object_mutex(context, class_node)
    assert isinstance(mutex, cst.Attribute)
    if not edits:  # an existing lock of the object: no holder may reach this method or wait holding it
        callers = _caller_locks(context, class_node, site.method)
        conflict = held_lock_conflict(context, class_node, mutex.attr.value, site.method, callers)
        if conflict is not None:
            return conflict
    lock = mutex.with_changes(value=cst.Name(receiver))
    wrapped = with_lock(lock, [line.with_changes(leading_lines=())]).with_changes(leading_lines=line.leading_lines)
    message = f"Hold `{receiver}.{lock.attr.value}` around the update of `self.{site.attr}`"
    return Fix(message, {line: wrapped}, list(edits), FixApplicability.UNSAFE)
