"""The lock of a lazy initialisation (CRL101-CRL105): named after the state it guards, a
module global's beside the global, a class attribute's on the class."""

from __future__ import annotations

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.lazy_sites import class_receiver
from ...analysis.lazyinit import find_creation, parse_lazy_check, walk_statements
from ...rule import ModuleEdit
from .placement import class_lock, lock_name_for, module_lock


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
