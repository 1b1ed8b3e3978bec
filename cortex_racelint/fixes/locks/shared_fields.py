"""The lock of a shared attribute (CRL401, CRL402): one mutex per object (`instance_mutex`),
unless every racing partner already holds a common `self.<lock>`; an access already under some
lock gets none added, and a person picks one."""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ...analysis.scope_walk import own_nodes
from ...rule import ModuleEdit


def held_lock_reason(attr: str, held: frozenset[str], partner: Optional[tuple[str, frozenset[str]]]) -> str:
    """Why an access already under a lock (`held`) gets no fix: no second lock, a person picks one.

    `partner` is a racing access that holds a lock too: where it runs, and its locks.
    """
    where = f" while {partner[0]} holds `{sorted(partner[1])[0]}`" if partner else ""
    return f"already guarded by `{sorted(held)[0]}`{where}: choose one lock for `self.{attr}` by hand"


def shared_field_lock(
    mutex: cst.BaseExpression, self_name: str, partner_locks: list[frozenset[str]]
) -> cst.BaseExpression:
    """The lock a fix holds: the `self.<lock>` all racing partners hold, else the object's mutex.

    `partner_locks` are the lock sets of the partners that hold any; the receiver is spelt
    the way the method spells it.
    """
    if partner_locks:
        common = set.intersection(*[set(locks) for locks in partner_locks])
        attr_locks = sorted(k for k in common if k.startswith("self.") and k.count(".") == 1)
        if attr_locks:
            return cst.Attribute(cst.Name(self_name), cst.Name(attr_locks[0].split(".", 1)[1]))
    assert isinstance(mutex, cst.Attribute)
    return mutex.with_changes(value=cst.Name(self_name))


def mutex_edits(lock: cst.BaseExpression, mutex: cst.BaseExpression, edits: list[ModuleEdit]) -> list[ModuleEdit]:
    """The edits creating the object's mutex, for a fix holding it; none for a partner's lock."""
    uses_mutex = isinstance(mutex, cst.Attribute) and isinstance(lock, cst.Attribute) and (
        lock.attr.value == mutex.attr.value
    )
    return list(edits) if uses_mutex else []


def with_this_lock(module: cst.Module, stmt: cst.CSTNode, lock_text: str) -> bool:
    """`with <lock>:` on exactly this lock (a critical section to extend)."""
    return (
        isinstance(stmt, cst.With)
        and len(stmt.items) == 1
        and stmt.items[0].asname is None
        and isinstance(stmt.body, cst.IndentedBlock)
        and module.code_for_node(stmt.items[0].item) == lock_text
    )


def existing_lock_reason(
    lock_attr: str,
    access_path: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    self_name: str,
    methods: dict[str, list[cst.FunctionDef]],
) -> Optional[str]:
    """Why the object's existing `self.<lock_attr>` cannot guard this access, if it cannot.

    - the access's own method binds the lock at or after the access (`__init__` writing fields
      before it creates its locks): the fix would raise AttributeError, or hold a lock about to
      be replaced;
    - some method holds the lock around a call of an unknown callable (a callback in a local,
      a parameter or a non-method attribute): the callback may call the method being fixed,
      which would then block on a plain lock its own thread holds.
    """
    bound_at = _first_binding(function, self_name, lock_attr)
    if bound_at is not None:
        body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
        index = next((i for i, stmt in enumerate(body) if any(p is stmt for p in access_path)), None)
        if index is None or index <= bound_at:
            return (
                f"`{function.name.value}()` creates `self.{lock_attr}` itself, after this access: "
                "the lock does not exist yet where the fix would hold it"
            )
    callback = _callback_under(lock_attr, methods)
    if callback is not None:
        return (
            f"`self.{lock_attr}` is held around `{callback}`, a callback that may call back into this "
            f"object: holding `self.{lock_attr}` here too could deadlock it; choose a lock by hand"
        )
    return None


def _is_self_attr(node: cst.CSTNode, self_name: str, attr: Optional[str] = None) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
        and (attr is None or node.attr.value == attr)
    )


def _first_binding(function: cst.FunctionDef, self_name: str, attr: str) -> Optional[int]:
    """Index of the first top-level statement of `function` that binds `self.<attr>`."""
    if not isinstance(function.body, cst.IndentedBlock):
        return None
    for index, stmt in enumerate(function.body.body):
        for node in own_nodes(stmt):
            targets: list[cst.CSTNode] = []
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                targets = [node.target]
            if any(_is_self_attr(t, self_name, attr) for t in targets):
                return index
    return None


def _method_self(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.posonly_params or function.params.params
    return params[0].name.value if params else None


def _local_names(function: cst.FunctionDef) -> set[str]:
    """Parameters and names the function assigns: what a call through a bare name may be."""
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    for node in own_nodes(function):
        if isinstance(node, cst.Assign):
            names.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and isinstance(node.target, cst.Name):
            names.add(node.target.value)
    return names


def _callback_under(lock_attr: str, methods: dict[str, list[cst.FunctionDef]]) -> Optional[str]:
    """The first call of an unknown callable made while some method holds `self.<lock_attr>`."""
    for functions in methods.values():
        for function in functions:
            self_name = _method_self(function)
            if self_name is None:
                continue
            locals_: Optional[set[str]] = None
            for node in own_nodes(function):
                if not isinstance(node, cst.With):
                    continue
                if not any(_is_self_attr(item.item, self_name, lock_attr) for item in node.items):
                    continue
                for inner in own_nodes(node.body):
                    if not isinstance(inner, cst.Call):
                        continue
                    func = inner.func
                    if isinstance(func, cst.Name):
                        if locals_ is None:
                            locals_ = _local_names(function)
                        if func.value in locals_:
                            return f"{func.value}(...)"
                    elif _is_self_attr(func, self_name) and func.attr.value not in methods:  # type: ignore[union-attr]
                        return f"{self_name}.{func.attr.value}(...)"  # type: ignore[union-attr]
    return None


_SIGNAL_PARAMS = frozenset({"sig", "signum", "signo", "signal", "signalnum", "sig_num"})


def signal_handler_reason(function: cst.FunctionDef) -> Optional[str]:
    """A method shaped like a signal handler, `(self, signum, frame)`, takes no plain lock.

    Python runs a signal handler on the main thread between any two bytecodes, so it can
    interrupt that thread inside a `with lock:` block of the same object; a plain lock taken
    by the handler then waits for its own thread forever (gunicorn's `handle_quit`).
    """
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if len(params) == 3 and params[1] in _SIGNAL_PARAMS and params[2] == "frame":
        return (
            f"`{function.name.value}()` looks like a signal handler (signum, frame): it can interrupt "
            "the main thread while that thread holds the lock, and a plain lock would then deadlock"
        )
    return None
