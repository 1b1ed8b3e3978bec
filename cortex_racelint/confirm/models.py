"""The frontrun model of a finding: setup, the racing calls, and the invariant that states its consequence.

Built in the DPOR child (`dpor_child.py`), after frontrun patched the locks, so every lock the
module makes at import is one frontrun's scheduler sees. Each execution starts from a fresh
import of the sandboxed package in a fresh HOME and working directory. Per family:

* creation (CRL101-105, CRL108 on the shared object): a test-only `__racelint_act__()` before the act counts how often the
  act ran; two threads calling the entry must run it as often as some serial order of the two
  calls does (once for a singleton, once per key for a keyed cache): one instance.
* rmw (CRL402, CRL404): two threads run the method on one object (for CRL404 the process-wide one the
  project index found: its accessor or module global, imported from its own module); the attribute's final value must be
  one that some serial order of the two calls produces (no lost update).
* shared (CRL401): the two methods run on one object; every conflicting access to the finding's
  attribute must be ordered by a lock (frontrun's `error_on_any_race`, its report's raced objects
  filtered to `Type.<attr>`: the other shared state of the two methods is other findings' business).
* connection (CRL202): two threads run the method on one object sharing `self.<conn>` (a method
  that only reads runs against one that writes through it); each thread's writes must be
  committed or rolled back by that thread, and no thread may read the other's uncommitted rows. A proxy on the connection records whose writes are pending; frontrun
  schedules the threads around its bookkeeping, i.e. between statements.

A worker that raises is recorded, not failed: neutral arguments may make the code raise, and
an exception is not the rule's consequence. `reached` says whether any execution got to the race.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .targets import Target, build_instance, instance_for, resolve

ACT = "__racelint_act__"
#: families explored by frontrun; the others keep the barrier harness (see docs/CONFIRM.md)
DPOR_FAMILIES = ("creation", "rmw", "shared", "connection")
_WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class NoModel(Exception):
    """frontrun cannot drive this finding; the message says why (the barrier harness may)."""


class Outcome:
    """What one worker did. One object per worker: frontrun traces this module when racelint runs from
    source, and two workers writing one shared list would be a race of racelint's own (`error_on_any_race`)."""

    def __init__(self) -> None:
        self.done = False
        self.errors: list[str] = []


@dataclass
class State:
    """One execution's world: the fresh module, the shared instance, what the workers did."""

    module: Any
    instance: Any = None
    targets: list[Target] = field(default_factory=list)
    acts: list[Any] = field(default_factory=list)
    outcomes: tuple[Outcome, ...] = field(default_factory=lambda: (Outcome(), Outcome()))
    initial: Any = None  # the watched attribute's picture right after setup
    broken: list[str] = field(default_factory=list)  # transaction boundaries another thread ended

    @property
    def finished(self) -> list[int]:
        return [index for index, outcome in enumerate(self.outcomes) if outcome.done]

    @property
    def errors(self) -> list[str]:
        return [error for outcome in self.outcomes for error in outcome.errors]


@dataclass
class Model:
    setup: Callable[[], State]
    workers: list[Callable[[State], Any]]
    invariant: Callable[[State], bool]
    options: dict[str, Any]
    violated: str  # what a failing execution means, in the rule's words
    holds: str  # what a passing exploration proves
    reached: Callable[[State], bool]


class Sandbox:
    """Fresh HOME, working directory and import of the top package for every execution."""

    def __init__(self, spec: dict, base: Path) -> None:
        self.spec, self.base, self.count = spec, base, 0
        self.top = spec["module"].split(".")[0]

    def fresh(self) -> Any:
        self.count += 1
        home = self.base / f"run-{self.count}"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["HOME"] = str(home)
        os.chdir(home)
        for name in [m for m in sys.modules if m == self.top or m.startswith(self.top + ".")]:
            del sys.modules[name]
        return importlib.import_module(self.spec["module"])


def _guarded(index: int) -> Callable[[State], Any]:
    def run(state: State) -> Any:
        outcome = state.outcomes[index]
        try:
            result = state.targets[index].call()
        except Exception as error:  # noqa: BLE001 - recorded: an exception is not the race's consequence
            if type(error).__module__.startswith("frontrun"):
                raise
            outcome.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            return None
        outcome.done = True
        return result

    return run


def _creation_entry(module: Any, entry: str) -> Target:
    if entry.endswith("()"):
        cls = getattr(module, entry[:-2])
        return Target(cls, entry[:-2], entry)
    target: Any = module
    for part in entry.split("."):
        target = getattr(target, part)
    return Target(target, entry.split(".")[-1], f"{entry}()")


def _project(value: Any) -> Any:
    """A deterministic, hashable picture of an attribute's value, for the serial comparison."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return (type(value).__name__, len(value))
    return type(value).__name__


def _contents(value: Any) -> Any:
    """`_project`, with a small container's items (a count per key) instead of only its size."""
    if isinstance(value, dict) and len(value) <= 32:
        return ("dict", tuple(sorted((repr(k), _project(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)) and len(value) <= 32:
        return (type(value).__name__, tuple(_project(v) for v in value))
    return _project(value)


class _Tracked:
    """A connection proxy recording which thread's writes are pending, to see whose commit ends them."""

    def __init__(self, conn: Any, state: State) -> None:
        self._conn, self._state, self._pending = conn, state, {}

    def _note(self, sql: Any) -> None:
        if not isinstance(sql, str):
            return
        me = threading.get_ident()
        if _WRITE_SQL.match(sql):
            self._pending[me] = sql.split()[0].upper()
            return
        others = [verb for ident, verb in self._pending.items() if ident != me]
        if others and sql.lstrip()[:6].upper() == "SELECT":
            self._state.broken.append(f"one thread read the other thread's uncommitted {others[0]}")

    def _end(self, how: str) -> None:
        me = threading.get_ident()
        others = [verb for ident, verb in self._pending.items() if ident != me]
        if others:
            self._state.broken.append(f"one thread's {others[0]} was {how} by the other thread")
        self._pending.clear()

    def execute(self, sql: Any, *args: Any) -> Any:
        self._note(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: Any, *args: Any) -> Any:
        self._note(sql)
        return self._conn.executemany(sql, *args)

    def cursor(self, *args: Any) -> Any:
        return _TrackedCursor(self._conn.cursor(*args), self)

    def commit(self) -> Any:
        self._end("committed")
        return self._conn.commit()

    def rollback(self) -> Any:
        self._end("rolled back")
        return self._conn.rollback()

    def __enter__(self) -> Any:
        self._conn.__enter__()
        return self

    def __exit__(self, kind: Any, *rest: Any) -> Any:
        self._end("committed" if kind is None else "rolled back")
        return self._conn.__exit__(kind, *rest)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _TrackedCursor:
    def __init__(self, cursor: Any, owner: _Tracked) -> None:
        self._cursor, self._owner = cursor, owner

    def execute(self, sql: Any, *args: Any) -> Any:
        self._owner._note(sql)
        self._cursor.execute(sql, *args)
        return self

    def executemany(self, sql: Any, *args: Any) -> Any:
        self._owner._note(sql)
        self._cursor.executemany(sql, *args)
        return self

    def __iter__(self) -> Any:
        return iter(self._cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def build_model(spec: dict, base: Path, pair: str = "self") -> Model:
    """The frontrun model of `spec` (a `ReproducerSpec` dict); `NoModel` when frontrun cannot drive it.

    `pair="self"` races the function with itself; `pair="caller"` races it with `spec["caller"]`
    (a certificate's second exploration: deadlocks through a caller that holds a lock).
    """
    family = spec.get("family", "creation")
    if family not in DPOR_FAMILIES:
        raise NoModel(f"the {family} family holds its window inside C code frontrun does not schedule")
    if family == "shared" and (spec.get("entry") != spec["function"] or spec.get("other_entry") != spec["other_function"]):
        raise NoModel("a side runs as a thread loop that only the other side stops; DPOR workers must finish")
    sandbox = Sandbox(spec, base)
    label = spec["function"]
    # an entry update (`self.d[k] = self.d.get(k, 0) + 1`) loses a count, not an entry; a reset against an
    # update moves a count from the discarded dict into the new one: both keep the dict's size, so compare items
    entry_update = spec.get("act_source", "").startswith(f"self.{spec.get('attr')}[")
    picture = _contents if family == "rmw" and (spec.get("other_function") or entry_update) else _project

    def setup() -> State:
        setattr(builtins, ACT, lambda: None)  # acts the module's own import runs (`START = fib(3)`) are not the race's
        module = sandbox.fresh()
        state = State(module)
        if family == "creation":
            setattr(builtins, ACT, functools.partial(state.acts.append, 1))
            entry = spec["entry"]
            direct = entry == spec["function"]  # else a class (`Service()`) or a closure (`get_a`), called bare
            # CRL108: a method of the process-wide object the project index found, run on that object
            state.instance = instance_for(module, spec) if spec.get("shared_object") or spec.get("shared_build") else None
            target = resolve(module, spec["function"], state.instance) if direct else _creation_entry(module, entry)
            state.targets = [target, _second(module, state.instance, target)]
            return state
        state.instance = instance_for(module, spec)
        if family == "shared":
            state.targets = [resolve(module, spec["function"], state.instance),
                             resolve(module, spec["other_function"], state.instance)]
            return state
        if family == "connection":
            attr = spec["attr"]
            setattr(state.instance, attr, _Tracked(getattr(state.instance, attr), state))
        else:
            if spec.get("other_function"):  # a reset racing the update: the update runs once first, so there is
                resolve(module, spec["other_function"], state.instance).call()  # a count the reset can lose
            state.initial = picture(getattr(state.instance, spec["attr"], None))
        target = resolve(module, spec["function"], state.instance)
        if spec.get("other_function") and pair == "self":  # reader vs writer (CRL202), reset vs update (CRL404)
            state.targets = [target, resolve(module, spec["other_function"], state.instance)]
        else:
            state.targets = [target, _second(module, state.instance, target)]
        return state

    def _second(module: Any, instance: Any, target: Target) -> Target:
        if pair != "caller":
            return target
        if instance is None and "." in spec["caller"]:
            instance = build_instance(module, spec["caller"])
        return resolve(module, spec["caller"], instance)

    workers = [_guarded(0), _guarded(1)]
    if family == "creation":
        # as many acts as some serial order of the two calls runs (once for a singleton, once per key for a cache)
        harm = "the value was computed twice" if spec["code"] == "CRL107" else "two instances"
        return Model(setup, workers, lambda s: True, {"serializable_invariant": lambda s: len(s.acts)},
                     f"`{spec['act_source']}` ran more often than in any serial order of the two calls: {harm}",
                     "the act runs as often as in a serial order (one instance)", lambda s: bool(s.acts))
    if family == "rmw":
        attr, other = spec["attr"], spec.get("other_function")
        serial = lambda s: (picture(getattr(s.instance, attr, None)), len(s.finished))  # noqa: E731
        calls = f"`{label}()` and `{other}()`" if other else f"two `{label}()` calls"
        harm = "an update landed in the discarded value or undid the reset" if other else "a lost update"
        return Model(setup, workers, lambda s: True, {"serializable_invariant": serial},
                     f"`self.{attr}` ended with a value no serial order of {calls} gives: {harm}",
                     f"`self.{attr}` ends as some serial order leaves it",
                     lambda s: picture(getattr(s.instance, attr, None)) != s.initial)
    if family == "shared":
        other = spec["other_function"]
        # frontrun reports every unordered access; the child keeps those to `self.<attr>` (`dpor_child.raced_objects`)
        return Model(setup, workers, lambda s: True, {"error_on_any_race": True},
                     f"`{label}()` and `{other}()` accessed `self.{spec['attr']}` with no lock ordering them",
                     f"every access to `self.{spec['attr']}` by `{label}()` and `{other}()` is ordered by a lock", lambda s: bool(s.finished))
    # the proxy's bookkeeping is where the two threads' statements meet: frontrun must trace it even when
    # racelint is installed in site-packages (untraced by default)
    against = f" (against `{spec['other_function']}()`)" if spec.get("other_function") else ""
    return Model(setup, workers, lambda s: not s.broken, {"trace_packages": [__name__]},
                 f"two threads shared the transaction of `self.{spec['attr']}`{against}",
                 "each thread's writes end with its own commit", lambda s: bool(s.finished))
