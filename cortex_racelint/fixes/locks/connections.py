"""The lock around a shared sqlite connection (CRL202): the object's lock for one kept on an
object, a module lock named for the global beside it otherwise."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...analysis.context import LintContext
from ...rule import ModuleEdit
from .placement import instance_lock, lock_name_for, module_lock


def shared_connection_lock(
    context: LintContext, class_node: Optional[cst.ClassDef], connection: str
) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """CRL202's lock around a shared connection: `self._lock` (`instance_lock`) for one kept on an
    object, else a module lock named for the global (`_conn` -> `_conn_lock`) beside it."""
    if class_node is not None:
        return instance_lock(context, class_node)
    lock_name = lock_name_for(connection)
    return module_lock(context, lock_name, connection)
