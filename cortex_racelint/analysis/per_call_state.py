"""State shared across the calls of a per-call object (a request handler: one instance per request).

A `socketserver` handler is constructed for each request and runs entirely on that request's
thread, so `self.<attr>` bound by its own methods is per-request and never races. What the
requests share is reached through the class or the server:

* `type(self).n`, `self.__class__.n`, `Handler.n`: the class attribute itself;
* `self.<attr>` where `<attr>` is bound only in the class body and used through its
  methods (`self.cache[k] = v` on a class-level dict): every instance sees the one object;
* `self.server.<attr>`: the one server object every handler gets.

Accesses to these get a dotted pseudo-attribute (`__class__.n`, `server.hits`) so the
messages spell them `self.__class__.n` / `self.server.hits` and the rest of the thread
model (kinds, locks, conflicts) reads them like any attribute.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from .access_kinds import BINDING_RMW, WRITE
from .thread_model import Access, Region
from .thread_syntax import _flatten_class_body

_VIA_SELF = ("server", "__class__")


def pseudo_access(
    node: cst.CSTNode, path: list[cst.CSTNode], region: Region, class_name: str
) -> Optional[tuple[str, cst.Attribute, list[cst.CSTNode]]]:
    """(pseudo attribute, node, path to it) when `node` reaches state shared across calls."""
    if not isinstance(node, cst.Attribute):
        return None
    value = node.value
    if (
        isinstance(value, cst.Attribute)
        and isinstance(value.value, cst.Name)
        and value.value.value == region.self_name
        and value.attr.value in _VIA_SELF
    ):
        return f"{value.attr.value}.{node.attr.value}", node, list(path)
    if isinstance(value, cst.Call) and _is_type_of_self(value, region.self_name):
        return f"__class__.{node.attr.value}", node, list(path)
    if isinstance(value, cst.Name) and value.value == class_name:
        return f"__class__.{node.attr.value}", node, list(path)
    return None


def _is_type_of_self(call: cst.Call, self_name: str) -> bool:
    return (
        isinstance(call.func, cst.Name)
        and call.func.value == "type"
        and len(call.args) == 1
        and isinstance(call.args[0].value, cst.Name)
        and call.args[0].value.value == self_name
    )


def shared_across_calls(raw: Sequence[Access], class_node: cst.ClassDef) -> list[Access]:
    """The accesses of a per-call object that other calls can see: pseudo attributes, and
    class-body attributes the methods never rebind through `self` (they stay the class's object)."""
    class_attrs = class_body_names(class_node)
    rebound = {a.attr for a in raw if a.kind in (WRITE, BINDING_RMW) and "." not in a.attr}
    shared = []
    for access in raw:
        if access.attr in class_attrs and access.attr not in rebound:
            access.attr = f"__class__.{access.attr}"  # the class's object: one name however it is reached
        if "." in access.attr:
            shared.append(access)
    return shared


def class_body_names(class_node: cst.ClassDef) -> set[str]:
    """Names the class body binds by assignment (`count = 0`, `cache: dict = {}`)."""
    names: set[str] = set()
    body = class_node.body
    if not isinstance(body, cst.IndentedBlock):
        return names
    for stmt in _flatten_class_body(body.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                [small.target] if isinstance(small, cst.AnnAssign) and small.value is not None else []
            )
            names.update(t.value for t in targets if isinstance(t, cst.Name))
    return names
