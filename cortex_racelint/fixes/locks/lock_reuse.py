"""Where an existing lock of the object cannot guard a CRL401/402 fix, and where no plain lock may be
taken at all: a lock the method creates only after the access (`__init__` writing fields before its
locks), a lock held around a callback that may call the fixed method, a signal handler's body.
Found on real packages (paho-mqtt, gunicorn) by `benchmarks/fix_safety_realworld.py`."""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from ...analysis.scope_walk import own_nodes
from ...analysis.traverse import children


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


def framework_lock_reason(lock_attr: str, methods: dict[str, list[cst.FunctionDef]], bases: Sequence[str]) -> Optional[str]:
    """Why a framework's own lock (`self.lock`, which `logging.Handler.handle()` holds around
    `emit()`) cannot be taken by a fix: the class overrides `createLock()` (a `NullHandler`-style
    `self.lock = None` would make `with self.lock:` raise), or derives from `NullHandler`."""
    if "createLock" in methods or any(base.rsplit(".", 1)[-1] == "NullHandler" for base in bases):
        return (
            f"the handler makes its own `self.{lock_attr}` (`createLock()` overridden): it may be no lock "
            "at all, so the fix would not hold one; guard these accesses by hand"
        )
    return None


def server_state_reason(module: cst.Module, class_node: cst.ClassDef, attr: str) -> Optional[str]:
    """Why the request handler's class lock cannot guard `self.server.<attr>`: code outside the
    handler (the server's own methods, after construction) changes `.<attr>` too, and would not
    take that lock."""
    for node in _nodes_outside(module, class_node):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            targets = [node.target]
        if any(isinstance(t, cst.Attribute) and t.attr.value == attr for t in targets):
            return (
                f"code outside the handler also changes `.{attr}`: the handler's class lock would not "
                "exclude it; guard the server's state with one lock by hand"
            )
    return None


def _nodes_outside(module: cst.Module, class_node: cst.ClassDef):
    """Every node of the module outside `class_node` and outside any `__init__` (construction)."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if node is class_node or (isinstance(node, cst.FunctionDef) and node.name.value == "__init__"):
            continue
        yield node
        stack.extend(children(node))
