"""Reproducer run for a container walked while another thread changes it (CRL405, family "walk").

The object's container (`self.<attr>`, a dict, set or list) is swapped, before either side
runs, for an equal one of a throw-away subclass: its iteration (`iter()`, `.items()`,
`.keys()`, `.values()`, what loops, `json.dump`, `pickle` and `deepcopy` call) takes the
real iterator first and then waits until the other side has returned, and its mutators note
a change made while a walk waits. The changing side runs once first (an empty container is
often not walked: `json.dump` of `{}`), then again while the walk waits, with its str/int
arguments changed to other values (`targets.vary`: a new key, so that the size changes; the
first call's arguments if the varied call raises): a mutator called mid-walk is the race (if it
changed a dict's or set's size the walk raises `RuntimeError: ... changed size during
iteration`; a list's walk ends with another length than it started with: a torn snapshot;
re-storing a key changes no size, so only the call is seen). With a lock held across the walk
the changing side cannot get there, and the wait times out.

The object is the one `targets.instance_for` gives: built from the class (CRL405), or the
process-wide object the project index found (CRL406, `shared_walk.py`).
"""

from __future__ import annotations

import importlib
import threading
from collections import deque
from typing import Any, Callable

from .drive import Report, join, report, start_threads
from .targets import instance_for, resolve

REACH_SECONDS = 1.5
_WALKS = ("__iter__", "items", "keys", "values")
_MUTATORS = (
    "__setitem__", "__delitem__", "pop", "popitem", "setdefault", "update", "clear", "add", "discard", "remove",
    "append", "extend", "insert", "sort", "reverse", "__iadd__", "appendleft", "extendleft", "popleft", "rotate",
)


def held_container(
    value: Any, walk_held: Callable[[], None], walk_over: Callable[[], None], changed: Callable[[], None]
) -> Any:
    """An equal container of a subclass of `value`'s type whose walks wait and whose mutators report."""
    base = type(value)
    if not isinstance(value, (dict, set, list, deque)):
        raise TypeError(f"a `{base.__name__}` is not a dict, set, list or deque")
    namespace: dict[str, Any] = {}
    for name in _WALKS:
        real = getattr(base, name, None)
        if real is None:
            continue

        def walk(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            inner = iter(_real(self, *args, **kwargs))

            def steps() -> Any:
                walk_held()  # the real iterator exists: a change from here on lands mid-walk
                try:
                    yield from inner
                finally:
                    walk_over()

            return steps()

        namespace[name] = walk
    for name in _MUTATORS:
        real = getattr(base, name, None)
        if real is None:
            continue

        def mutate(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            changed()
            return _real(self, *args, **kwargs)

        namespace[name] = mutate
    held_type = type(f"Held{base.__name__}", (base,), namespace)
    if isinstance(value, deque):
        held = held_type(maxlen=value.maxlen)
        deque.extend(held, value)
        return held
    held = held_type.__new__(held_type)
    if isinstance(value, dict):
        if base is not dict:
            base.__init__(held)  # an `OrderedDict` keeps its order in C state `dict.update` would not fill
        if hasattr(value, "default_factory"):
            held.default_factory = value.default_factory  # type: ignore[attr-defined]
        (dict.update if base is dict else base.update)(held, value)  # the base's own: its items in its order
    elif isinstance(value, set):
        set.update(held, value)
    else:
        list.extend(held, value)
    return held


def run_walk(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    drive_a = resolve(module, spec.get("entry") or spec["function"], instance)
    drive_b = resolve(module, spec.get("other_entry") or spec["other_function"], instance)
    attr = spec["attr"]
    held, b_done = threading.Event(), threading.Event()
    state: dict[str, Any] = {"walker": None, "over": False, "changed_mid_walk": False, "timed_out": False, "sizes": []}

    def walk_held() -> None:
        if state["walker"] is not None:
            return  # one held walk is the window
        state["walker"] = threading.get_ident()
        state["sizes"].append(_size(instance, attr))
        held.set()
        state["timed_out"] = not b_done.wait(timeout)

    def walk_over() -> None:
        if threading.get_ident() == state["walker"] and not state["over"]:
            state["over"] = True
            state["sizes"].append(_size(instance, attr))

    def changed() -> None:
        if held.is_set() and not state["over"] and threading.get_ident() != state["walker"]:
            state["changed_mid_walk"] = True

    try:
        drive_b.call()  # one change first: an empty container is often not walked at all (`json.dump` of `{}`)
    except Exception:  # noqa: BLE001 - a change that fails alone leaves the container as it was
        pass
    try:
        setattr(instance, attr, held_container(getattr(instance, attr), walk_held, walk_over, changed))
    except (AttributeError, TypeError) as error:
        return report(reached=False, raced=False, serialised=False, detail=f"cannot watch `{attr}`: {error}")

    def changer() -> None:
        if held.wait(REACH_SECONDS):  # only once the walk waits with its iterator taken
            try:
                state["mid_walk"] = _change(drive_b)
            finally:
                b_done.set()

    started, errors = start_threads([drive_a.call, changer], {})
    join(started, timeout + REACH_SECONDS + 3.0)
    if not held.is_set():
        return report(reached=False, raced=False, serialised=False,
                      detail=f"driving `{drive_a.label}` never walked `{attr}`", errors=errors)
    crashed = [e for e in errors if "changed size during iteration" in e or "mutated during iteration" in e]
    raced = state["changed_mid_walk"] or bool(crashed)
    if raced:
        detail = f"`{attr}` changed while a walk over it was held" + (f" ({crashed[0]})" if crashed else _torn(state["sizes"]))
        if state.get("mid_walk") and state["mid_walk"] != drive_b.label:
            detail += f"; the change mid-walk: `{state['mid_walk']}`"
    else:
        detail = f"nothing could change `{attr}` while a walk over it was held (the hold timed out)"
    return report(reached=True, raced=raced, serialised=state["timed_out"] and not raced, detail=detail,
                  arrivals=1, timeouts=int(state["timed_out"]), errors=errors)


def _change(target: Any) -> str:
    """The change landing mid-walk: with other arguments (a new key) first, the first call's if they fail.
    Returns the call that ran, as the verdict names it."""
    if target.varied is not None and target.varied_label != target.label:
        try:
            target.varied()
            return target.varied_label
        except Exception:  # noqa: BLE001 - a varied value the method rejects: store as the first call did
            pass
    target.call()
    return target.label


def _size(instance: Any, attr: str) -> int:
    try:
        return len(getattr(instance, attr))
    except (AttributeError, TypeError):
        return -1


def _torn(sizes: list[int]) -> str:
    """A walk that ended with another size than it started with saw a torn snapshot (a list's walk)."""
    if len(sizes) == 2 and sizes[0] != sizes[1] and -1 not in sizes:
        return f" (a torn snapshot: {sizes[0]} items when the walk started, {sizes[1]} when it ended)"
    return ""
