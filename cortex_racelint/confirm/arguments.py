"""Build the arguments a reproducer needs to drive a method: neutral values from type hints.

A race in `Store.put(self, key: str)` can only be reproduced on a real `Store`
called with some `key`. Parameters with defaults keep them; required ones get a
neutral value of their annotated type (`"racelint"`, `1`, `[]`, the first enum member,
an instance of a buildable class or of a concrete subclass of an abstract one).
Values inferred from the module (`inference.py`: its call sites, what the body does with a
parameter) come first: the child installs them with `use_inferred` and picks one argument set
per function with `choose`. Anything else (a callable, an unannotated parameter nothing was
inferred for) cannot be built, and the finding is reported "not runnable" with the parameter named.
"""

from __future__ import annotations

import abc
import collections.abc as cabc
import enum
import inspect
import io
import os
import pathlib
import types
import typing
from typing import Any, Callable, Optional

SCALARS: dict[Any, Any] = {str: "racelint", int: 1, float: 0.01, bool: False, bytes: b"racelint", complex: 0j}
EMPTY: dict[Any, Callable[[], Any]] = {
    list: list, dict: dict, set: set, frozenset: frozenset, tuple: tuple,
    cabc.Sequence: list, cabc.MutableSequence: list, cabc.Iterable: list, cabc.Collection: list,
    cabc.Mapping: dict, cabc.MutableMapping: dict, cabc.Set: set, cabc.MutableSet: set,
}
MAX_DEPTH = 3


class Unbuildable(Exception):
    """No neutral value for a parameter; the message names it."""


#: qualified name -> inferred argument sets (parameter -> expression), and the set in use
_INFERRED: dict[str, list[dict[str, str]]] = {}
_CHOSEN: dict[str, int] = {}


def use_inferred(table: dict[str, list[dict[str, str]]]) -> None:
    """Install the inferred argument sets of a spec (`ReproducerSpec.arguments`), the first set of each in use."""
    _INFERRED.clear()
    _INFERRED.update(table)
    _CHOSEN.clear()


def choose(qualified: str, index: int) -> None:
    _CHOSEN[qualified] = index


def chosen(qualified: str) -> Optional[dict[str, str]]:
    sets = _INFERRED.get(qualified)
    return sets[_CHOSEN.get(qualified, 0)] if sets else None


def evaluate(expression: str) -> Any:
    """The value of an inferred expression: a literal's repr or a `SimpleNamespace(...)` built by `inference.py`."""
    return eval(expression, {"__builtins__": {}, "SimpleNamespace": types.SimpleNamespace})  # noqa: S307 - our own text


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - unresolvable forward references: fall back to nothing
        return {}


def value_for(annotation: Any, depth: int = 0) -> Any:
    """A neutral value of type `annotation`, or `Unbuildable`."""
    if annotation is Any:
        return None
    if annotation is None or annotation is type(None):
        return None
    if annotation in SCALARS:
        return SCALARS[annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        members = typing.get_args(annotation)
        if type(None) in members:
            return None
        for member in members:
            try:
                return value_for(member, depth)
            except Unbuildable:
                continue
        raise Unbuildable(f"no member of {annotation} can be built")
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    base = origin if origin is not None else annotation
    if base in EMPTY:
        return EMPTY[base]()
    if isinstance(base, type):
        if issubclass(base, enum.Enum):
            return next(iter(base))
        if issubclass(base, (pathlib.PurePath, os.PathLike)):
            return pathlib.Path("racelint-arg")
        if base in (typing.TextIO, io.TextIOBase):
            return io.StringIO()
        if base in (typing.BinaryIO, io.BufferedIOBase):
            return io.BytesIO()
        if base.__module__ == "builtins" or base is object:
            raise Unbuildable(f"no neutral value for `{base.__name__}`")
        return instance_of(base, depth + 1)
    raise Unbuildable(f"no neutral value for `{annotation}`")


def call_arguments(function: Callable[..., Any], skip_first: bool, depth: int = 0) -> dict[str, Any]:
    """Keyword arguments for the required parameters of `function` (defaults are kept)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        raise Unbuildable(f"no signature: {error}") from error
    hints = _hints(function)
    given = chosen(getattr(function, "__qualname__", ""))
    params = list(signature.parameters.values())
    if skip_first and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]
    arguments: dict[str, Any] = {}
    for param in params:
        if given and param.name in given:
            arguments[param.name] = evaluate(given[param.name])
            continue
        if param.default is not param.empty or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.kind is param.POSITIONAL_ONLY:
            raise Unbuildable(f"positional-only parameter `{param.name}`")
        annotation = hints.get(param.name, param.annotation)
        if annotation is param.empty or isinstance(annotation, str):
            raise Unbuildable(f"`{param.name}` has no usable type annotation")
        try:
            arguments[param.name] = value_for(annotation, depth)
        except Unbuildable as error:
            raise Unbuildable(f"`{param.name}`: {error}") from error
    return arguments


def _concrete_subclasses(cls: type) -> list[type]:
    found, stack = [], list(cls.__subclasses__())
    while stack:
        sub = stack.pop(0)
        if not inspect.isabstract(sub):
            found.append(sub)
        stack.extend(sub.__subclasses__())
    return found


def instance_of(cls: type, depth: int = 0) -> Any:
    """An instance of `cls` (or of a concrete subclass when `cls` is abstract)."""
    if depth > MAX_DEPTH:
        raise Unbuildable(f"`{cls.__name__}` nests too deeply")
    candidates = _concrete_subclasses(cls) if inspect.isabstract(cls) or cls.__dict__.get("__abstractmethods__") else [cls]
    if isinstance(cls, abc.ABCMeta) and inspect.isabstract(cls) and not candidates:
        raise Unbuildable(f"`{cls.__name__}` is abstract and has no concrete subclass")
    last: Exception = Unbuildable(f"`{cls.__name__}` cannot be built")
    for candidate in candidates:
        try:
            return candidate(**call_arguments(candidate.__init__, skip_first=True, depth=depth))
        except Unbuildable as error:
            last = Unbuildable(f"`{candidate.__name__}()` needs {error}")
        except Exception as error:  # noqa: BLE001 - a constructor that fails with neutral values
            last = Unbuildable(f"`{candidate.__name__}()` raised {type(error).__name__}: {error}")
    raise last
