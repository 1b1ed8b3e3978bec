"""The shared object of a project-wide finding, as people and SARIF consumers read it.

JSON carries `Finding.shared` field by field (`json_format.shared_object_json`); the `full` text
format and SARIF's related location need one sentence saying which object the threads share and
how they get it. Written once here so the two cannot describe the same object differently.
"""

from __future__ import annotations

from ..ftypes import SharedObject


def how_shared(shared: SharedObject) -> str:
    """How the threads get the object, e.g. "returned by `pkg.mod.get_x()`"."""
    if shared.how == "accessor":
        return f"returned by `{shared.expression}`"
    if shared.how == "global":
        return f"the module global `{shared.expression}`"
    if shared.how == "handover":
        return f"one instance made by `{shared.maker}` and handed to threads"
    if shared.how == "held":
        return f"the instance `{shared.maker}` keeps in `self.{shared.holder}`"
    if shared.how == "container":
        return f"an entry of the module container `{shared.expression}`, indexed with a constant key"
    return shared.how


def describe(shared: SharedObject, with_entry: bool = True) -> str:
    """One line: the class, how it is shared, and the entry and methods that race on the attribute.

    `with_entry=False` leaves out the thread entry, for a reader who sees the finding's path (its
    first step is that entry)."""
    text = f"`{shared.cls}`, {how_shared(shared)}"
    if shared.attr:
        methods = ", ".join(f"`{m}`" for m in shared.methods)
        text += f"; `{shared.attr}` updated by {methods}" if methods else f"; attribute `{shared.attr}`"
    if shared.entry and with_entry:
        text += f"; run by {shared.entry}"
    return text


def made_here(shared: SharedObject) -> str:
    """The message of the location where the shared instance is made (a hand-over's maker)."""
    return f"the shared `{shared.cls}` is made here ({how_shared(shared)})"
