"""The shared object of a project fact, as data (`ftypes.SharedObject` once it reaches a finding).

The join describes why a class is shared in words (`"shared"`, for messages); `confirm` needs to *get*
the object: import the accessor or global, or build it as the function that makes it does. These dicts go
into the facts next to the words (`"object"`), with the class added by the join.
"""

from __future__ import annotations

from typing import Any

Node = tuple[str, str]


def accessor_object(module: str, qual: str) -> dict:
    return {"how": "accessor", "expression": f"{module}.{qual}()"}


def global_object(module: str, name: str) -> dict:
    return {"how": "global", "expression": f"{module}.{name}"}


def container_object(module: str, name: str) -> dict:
    """An entry of a module-level container (`containers.py`): which entry is not known as an expression."""
    return {"how": "container", "expression": f"{module}.{name}"}


def origin_object(graph: Any, origin: tuple[str, str, str], cls: Node) -> dict:
    """A hand-over's origin (`handover_join._origins`): made by a function (`stats = Stats()` at a line),
    kept by a class that starts threads (`self.stats = Stats()`), or kept by a handed-over object's class."""
    if len(origin) == 5:  # held by a handed-over object (`handover_join._held`): its class keeps it in `self.<attr>`
        holder = origin[4]
        return {"class": f"{cls[0]}.{cls[1]}", "maker": f"{holder[0]}.{holder[1]}", "path": graph.path(holder[0]),
                "how": "held", "holder": origin[3]}
    module, scope, name = origin
    info = graph.summary(module)["functions"].get(scope)
    found: dict = {"class": f"{cls[0]}.{cls[1]}", "maker": f"{module}.{scope}", "path": graph.path(module)}
    if info is not None:
        line = next((r[3] for r in info.get("h", ()) if r[0] == "new" and r[1] == name), 0)
        return {**found, "how": "handover", "line": line}
    return {**found, "how": "held", "holder": name}
