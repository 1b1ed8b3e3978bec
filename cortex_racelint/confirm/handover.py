"""Build the object of a hand-over finding as the function that makes it does.

A hand-over (`project/handover_join.py`) has no accessor or global to import: one function makes the
object (`progress = InstallProgress()`) and hands it to threads; a class that starts threads keeps one
(`self.stats = Stats()`). The finding's `SharedObject` says where. Here the making call is read from the
source (`recipe`, in the parent) and replayed in the model's child (`build`): its arguments when they are
constants, else the constructor's neutral arguments (`arguments.instance_of`); if neither works, the
finding is not runnable, and the reason names the call and what could not be built.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path
from typing import Any, Optional

from ..ftypes import SharedObject
from .arguments import Unbuildable, instance_of
from .spec import NotRunnable


def _making_call(tree: ast.Module, shared: SharedObject) -> Optional[ast.Call]:
    """The call whose result is the shared object: at its line in the maker, or `self.<holder> = C(...)`."""
    holder_class = shared.maker.rsplit(".", 1)[-1]
    for node in ast.walk(tree):
        if shared.how == "held" and isinstance(node, ast.ClassDef) and node.name == holder_class:
            for assign in ast.walk(node):
                if isinstance(assign, ast.Assign) and isinstance(assign.value, ast.Call) and any(
                    isinstance(t, ast.Attribute) and t.attr == shared.holder for t in assign.targets
                ):
                    return assign.value
        if shared.how == "handover" and isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno == shared.line:
            if isinstance(node.value, ast.Call):
                return node.value
    return None


def recipe(shared: SharedObject) -> str:
    """JSON: the class, the making call's text, its constant arguments (`repr`s) or why they are not."""
    where = f"`{shared.maker}`" + (f" ({Path(shared.path).name}:{shared.line})" if shared.line else "")
    try:
        tree = ast.parse(Path(shared.path).read_bytes())
    except (OSError, SyntaxError) as error:
        raise NotRunnable(f"the module making the shared object ({shared.path}) cannot be read: {error}") from error
    call = _making_call(tree, shared)
    if call is None:
        raise NotRunnable(f"no call making the shared `{shared.cls}` found in {where}")
    text = ast.unparse(call)
    args: Optional[list[str]] = []
    kwargs: dict[str, str] = {}
    why = ""
    for value in [*call.args, *(k.value for k in call.keywords)]:
        try:
            ast.literal_eval(value)
        except ValueError:
            why = f"`{ast.unparse(value)}` is not a constant"
            args = None
            break
    if args is not None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            args, why = None, "it unpacks `*args`/`**kwargs`"
        else:
            args = [ast.unparse(a) for a in call.args]
            kwargs = {str(k.arg): ast.unparse(k.value) for k in call.keywords}
    return json.dumps({"class": shared.cls, "call": text, "where": where, "args": args, "kwargs": kwargs, "why": why})


def build(recipe_json: str) -> Any:
    """The object, made in this process from `recipe`'s data (the model's child)."""
    data = json.loads(recipe_json)
    module_name, _, name = data["class"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), name)
    made = f"the shared object is made by {data['where']} as `{data['call']}`"
    if data["args"] is not None:
        try:
            return cls(*map(ast.literal_eval, data["args"]), **{k: ast.literal_eval(v) for k, v in data["kwargs"].items()})
        except Exception as error:  # noqa: BLE001 - the maker's own call failing here is a reason, not a crash
            raise Unbuildable(f"{made}, which raised {type(error).__name__}: {error}") from error
    try:
        return instance_of(cls)
    except Unbuildable as error:
        raise Unbuildable(f"{made}: {data['why']}, and no neutral value replaces it: {error}") from error
