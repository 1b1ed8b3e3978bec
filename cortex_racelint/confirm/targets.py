"""Resolve a spec's entry (`func`, `Class.method`) to a callable with built arguments.

Instance methods run on one shared instance, built from the constructor's neutral
arguments (see `arguments.py`): a race between threads of one object needs one object.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Optional

from .arguments import Unbuildable, call_arguments, instance_of


#: labels of the calls resolved in this process since the last `driven_calls()` (the barrier child's runs)
_RESOLVED: list[str] = []


def driven_calls() -> str:
    """The calls resolved since the last call, as one label (`a(x=1) against b()`), and forget them."""
    labels = list(dict.fromkeys(_RESOLVED))
    _RESOLVED.clear()
    return " against ".join(labels)


@dataclass
class Target:
    call: Callable[[], Any]
    function: str  # the code object's name, to recognise its frames
    label: str
    #: the same call with each str/int argument another value of its type (a new key: the walk family's
    #: change that must change a container's size, not store again the key the first call stored)
    varied: Optional[Callable[[], Any]] = field(default=None, compare=False)
    varied_label: str = ""


def build_instance(module: ModuleType, qualified: str) -> Optional[Any]:
    """The shared instance an instance method needs (None for functions, class/static methods)."""
    if "." not in qualified:
        return None
    owner_name, name = qualified.split(".", 1)
    owner = getattr(module, owner_name)
    raw = inspect.getattr_static(owner, name)
    if isinstance(raw, (classmethod, staticmethod)):
        return None
    try:
        return instance_of(owner)
    except Unbuildable as error:
        raise Unbuildable(f"cannot build a `{owner_name}` to call `{qualified}()` on: {error}") from error


def shared_instance(expression: str) -> Any:
    """The process-wide object the project index found (`pkg.stats.get_stats()`, `pkg.stats._stats`).

    The accessor's module may be another module of the package than the finding's: it is imported
    (the longest importable dotted prefix), then the rest is looked up and an accessor called. A lazily
    created global still `None` is not an object to share: Unbuildable."""
    call = expression.endswith("()")
    parts = (expression[:-2] if call else expression).split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                value = getattr(value, name)
        except AttributeError as error:
            raise Unbuildable(f"the shared object `{expression}` is not there after import: {error}") from error
        value = value() if call else value
        if value is None:
            raise Unbuildable(f"the shared object `{expression}` is None after import (created later, lazily)")
        return value
    raise Unbuildable(f"the module of the shared object `{expression}` does not import")


def instance_for(module: ModuleType, spec: dict) -> Optional[Any]:
    """The object the racing method runs on: the shared one the index names (CRL404/CRL108), else a fresh one."""
    if spec.get("shared_object"):
        return shared_instance(spec["shared_object"])
    if spec.get("shared_build"):  # a hand-over: made as its maker makes it
        from .handover import build

        return build(spec["shared_build"])
    return build_instance(module, spec["function"])


def resolve(module: ModuleType, qualified: str, instance: Optional[Any]) -> Target:
    """A zero-argument callable running `qualified` with neutral arguments."""
    if "." not in qualified:
        function = getattr(module, qualified)
        arguments = _arguments(function, False, qualified)
        _RESOLVED.append(call_label(qualified, arguments))
        return Target(lambda: function(**arguments), qualified, call_label(qualified, arguments))
    owner_name, name = qualified.split(".", 1)
    owner = getattr(module, owner_name)
    raw = inspect.getattr_static(owner, name)
    if isinstance(raw, staticmethod):
        arguments = _arguments(raw.__func__, False, qualified)
        bound = getattr(owner, name)
    elif isinstance(raw, classmethod):
        arguments = _arguments(raw.__func__, True, qualified)
        bound = getattr(owner, name)
    else:
        if not callable(raw):
            raise Unbuildable(f"`{qualified}` is not a plain method")
        arguments = _arguments(raw, True, qualified)
        bound = getattr(instance, name)
    _RESOLVED.append(call_label(qualified, arguments))
    other = vary(arguments)
    return Target(lambda: bound(**arguments), name, call_label(qualified, arguments), lambda: bound(**other),
                  call_label(qualified, other))


def vary(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with each str, bytes or int value changed to another of its type (`'racelint'` -> `'racelint-2'`)."""
    varied: dict[str, Any] = {}
    for name, value in arguments.items():
        if isinstance(value, (str, bytes)) and not isinstance(value, bool):
            value = value + (b"-2" if isinstance(value, bytes) else "-2")
        elif isinstance(value, int) and not isinstance(value, bool):
            value = value + 1
        varied[name] = value
    return varied


def call_label(qualified: str, arguments: dict[str, Any]) -> str:
    """`fib(n=2)`: the call as driven, for verdicts and certificates (long values cut)."""
    shown = []
    for name, value in arguments.items():
        text = repr(value)
        shown.append(f"{name}={text if len(text) <= 60 else text[:57] + '...'}")
    return f"{qualified}({', '.join(shown)})"


def _arguments(function: Callable[..., Any], skip_first: bool, qualified: str) -> dict[str, Any]:
    try:
        return call_arguments(function, skip_first)
    except Unbuildable as error:
        raise Unbuildable(f"`{qualified}()` needs arguments it cannot build: {error}") from error
