"""Hand-overs for the project index: an object one function makes and gives to code on other threads.

Real code rarely reaches a shared object through a module global: it makes one (`stats =
Stats()`) and hands the SAME object on, as a thread's argument (`Thread(target=f,
args=(stats,))`, `pool.submit(f, stats)`), as a bound method (`Thread(target=stats.run)`,
`pool.map(stats.add, items)`), or to a constructor that keeps it (`Worker(stats)` with
`self.stats = stats` in `__init__`). The summary records, per function, in `info["h"]`:

- `["new", name, called, line, looped]`: a local bound to a call (`stats = Stats()`);
- `["give", name, how, kind, text, pos, line, col, copies]`: the local (or parameter) `name` handed
  to an entry's argument (`how` "e": `pos` is its index in the target's arguments), as the
  receiver of an entry's bound-method target ("t", `text` the method), or to a call ("k":
  `pos` an index or a keyword); `copies`: several copies of that entry may run at once;
- `["give", name, "c", method, callee, pos, line, col, looped]`: the bound method `name.method`
  given to a call (`bus.subscribe(stats.on_event)`; a local receiver made here is written as its
  class, `Bus.subscribe`): a callback, run by whichever thread fires the registry;
- `["use", name, method, line]`: `name.method()` on a parameter, or on a local after it was given.

Per method, `registers`: [attribute, parameter] for `self._callbacks.append(callback)`, and
`fires`: the attributes whose items it calls (`for cb in self._callbacks: cb(...)`).

and `info["params"]` (parameter names, for binding arguments), and per class `bound`: attribute ->
the `__init__` parameter stored in it (`self.stats = stats`). A `Thread` subclass's `run` is an
entry of the table (`analysis.entry_table`), recorded with the module's entries.

What the target of an entry is, as written (`_handed`):
- `Thread(target=stats.run)`, `partial(stats.add, 1)`, `lambda: stats.add(1)`: the method `add`
  of `stats` runs on the thread ("t");
- `submit(task)` where `task` was made by a call (`task = Task(stats)`): its `__call__` runs there;
- `partial(work, stats)`, `lambda: work(stats)`: `work` runs there with `stats` bound ("e").

Objects in containers: `workers = [Worker(stats) for _ in range(n)]` (or `workers.append(Worker(
stats))` in a loop) makes many objects of one class; `for w in workers:` binds `w` to each
(`note_for`), so `pool.submit(w.run)` hands each worker's `run` to a thread ("t", made in a loop).
`handover_join.py` reads these.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from .entries import dotted

#: entry kinds whose extra positional arguments go to the target (`submit(f, a)`); `map` maps an iterable
_ARG_AFTER_TARGET = frozenset({"submit", "run_in_executor", "to_thread", "start_new_thread", "start_new"})


def params(node: ast.AST) -> list[str]:
    """The parameter names of a function, in binding order."""
    arguments = node.args  # type: ignore[attr-defined]
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args)]


def note_function(frame: Any, node: ast.AST) -> None:
    """Remember the parameters of a function (stored in the summary only when something uses them)."""
    frame.hand_params = params(node)
    frame.hand_new = {}


def note_assign(frame: Any, node: ast.Assign, looped: bool, classes: dict) -> None:
    """`stats = Stats()` in a function, and `self.x = param` in `__init__`."""
    value = node.value
    if frame.qual == "<module>" or len(node.targets) != 1:
        return
    target = node.targets[0]
    if isinstance(target, ast.Name) and isinstance(value, ast.Call) and target.id not in frame.declared:
        called = dotted(value.func)
        if called and frame.hand_new is not None and called.split(".")[-1][:1].isupper():  # `Stats()`: a class  # recorded when first handed over
            frame.hand_new[target.id] = [called, node.lineno, looped]
    elif isinstance(target, ast.Name) and isinstance(value, (ast.ListComp, ast.SetComp)) and frame.hand_new is not None:
        element = value.elt  # `workers = [Worker(stats) for _ in range(n)]`: many objects of one class
        called = dotted(element.func) if isinstance(element, ast.Call) else None
        if called and called.split(".")[-1][:1].isupper() and target.id not in frame.declared:
            frame.hand_new[target.id] = [called, node.lineno, True]
    elif (
        frame.method
        and frame.qual.endswith(".__init__")
        and isinstance(value, ast.Name)
        and value.id in frame.hand_params
        and isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
        and frame.class_name in classes
    ):
        classes[frame.class_name].setdefault("bound", {})[target.attr] = value.id


def note_for(frame: Any, node: ast.AST) -> None:
    """`for w in workers:` over a container of made objects: `w` is each of them (one per iteration);
    `for cb in self._callbacks: cb(...)` in a method fires a registry (`fires`: the attribute)."""
    target, source = node.target, node.iter  # type: ignore[attr-defined]
    if frame.hand_new is None or not isinstance(target, ast.Name):
        return
    if frame.method:
        attr = _registry_attr(source)
        if attr is not None and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == target.id
            for stmt in node.body for n in ast.walk(stmt)  # type: ignore[attr-defined]
        ):
            fires = frame.info.setdefault("fires", [])
            if attr not in fires:
                fires.append(attr)
    if not isinstance(source, ast.Name):
        return
    made = frame.hand_new.get(source.id)
    if made is not None:
        frame.hand_new[target.id] = [made[0], made[1], True]


def note_call(frame: Any, node: ast.Call, entry: Any, looped: bool, target_ref: Optional[list]) -> None:
    """Record what this call hands over: locals and parameters given to an entry or a call, uses of them."""
    func = node.func
    given = _given_names(frame)
    if (
        isinstance(func, ast.Attribute) and func.attr in ("append", "add") and isinstance(func.value, ast.Name)
        and len(node.args) == 1 and isinstance(node.args[0], ast.Call) and frame.hand_new is not None
    ):  # `workers.append(Worker(stats))`: a container of made objects
        called = dotted(node.args[0].func)
        if called and called.split(".")[-1][:1].isupper() and func.value.id not in frame.declared:
            frame.hand_new.setdefault(func.value.id, [called, node.lineno, True])
    if frame.method and isinstance(func, ast.Attribute) and func.attr in _REGISTERS and node.args:
        attr = _self_attr(func.value)  # `self._callbacks.append(callback)`: a registry of the parameter
        arg = node.args[-1]
        if attr and isinstance(arg, ast.Name) and arg.id in frame.hand_params[1:]:
            registers = frame.info.setdefault("registers", [])
            if [attr, arg.id] not in registers:
                registers.append([attr, arg.id])
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        name = func.value.id
        if (name in given or name in frame.hand_params) and name not in ("self", "cls"):
            if not any(r[0] == "use" and r[1] == name and r[2] == func.attr for r in frame.info.get("h", ())):
                _records(frame).append(["use", name, func.attr, node.lineno])
    if entry is not None:
        copies = bool(entry.concurrent or looped)
        target, bound = _handed(entry.target)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and _handle(frame, target.value.id):
            _give(frame, target.value.id, "t", "", target.attr, 0, node, copies)
        elif isinstance(target, ast.Name) and target is entry.target and _handle(frame, target.id):
            _give(frame, target.id, "t", "", "__call__", 0, node, copies)  # `submit(task)`: a callable object
        if target_ref is None:
            return
        if isinstance(entry.target, ast.Lambda):  # `args=` goes to the lambda, not to what it calls
            args = bound
        else:
            args = [*bound, *_entry_args(node, entry)]
        for pos, arg in enumerate(args):
            if isinstance(arg, ast.Name) and _handle(frame, arg.id):
                _give(frame, arg.id, "e", target_ref[0], target_ref[1], pos, node, copies)
        return
    callee = dotted(func)
    if callee is None:
        return
    _callbacks(frame, node, callee, looped)
    for pos, arg in enumerate(node.args):
        if isinstance(arg, ast.Name) and _handle(frame, arg.id):
            _give(frame, arg.id, "k", "n", callee, pos, node, looped)
    for keyword in node.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Name) and _handle(frame, keyword.value.id):
            _give(frame, keyword.value.id, "k", "n", callee, keyword.arg, node, looped)


def finish(frame: Any) -> None:
    """Keep the parameter names only where a hand-over needs them."""
    records = frame.info.get("h")
    if records and any(r[0] == "use" for r in records) or frame.qual.endswith(".__init__") or "registers" in frame.info:
        names = frame.hand_params
        if names:
            frame.info["params"] = names


def prune(info: dict, known: set, functions: dict) -> None:
    """Drop hand-overs to calls of names the module neither defines nor imports (builtins, methods of
    locals), a parameter handed to anything but a class (`Worker(p)`) or a function of this module
    (the summary stays small: helpers in other modules are not followed), and a local's creation
    when nothing that stays hands it over."""
    kept = [r for r in info["h"] if r[0] != "give" or _kept_give(r, info, known, functions)]
    given = {r[1] for r in kept if r[0] == "give"}
    kept = [r for r in kept if r[0] == "give" or r[1] in given or r[0] == "use" and r[1] in info.get("params", ())]
    if kept:
        info["h"] = kept
    else:
        del info["h"]


def _kept_give(record: list, info: dict, known: set, functions: dict) -> bool:
    if record[2] == "k":
        return _kept_call(record, info, known, functions)
    if record[2] == "c":  # a callback given to a method of something this module names
        return record[4].split(".")[0] in known
    return True


def _kept_call(record: list, info: dict, known: set, functions: dict) -> bool:
    callee = record[4]
    if callee.split(".")[0] not in known and callee.split(".")[0] not in ("self", "cls"):
        return False
    if any(r[0] == "new" and r[1] == record[1] for r in info["h"]):  # a local made here, else a parameter
        return True
    return callee.split(".")[-1][:1].isupper() or callee in functions


# -- helpers --------------------------------------------------------------------------------

#: container methods that register a callable (`self._callbacks.append(cb)`, `insert(0, cb)`)
_REGISTERS = frozenset({"append", "add", "insert", "appendleft"})


def _registry_attr(source: ast.expr) -> Optional[str]:
    """`a` of `self.a`, `self.a.values()`, `self.a.copy()`, `list(self.a)`, `tuple(self.a)`."""
    if isinstance(source, ast.Call):
        func = source.func
        if isinstance(func, ast.Name) and func.id in ("list", "tuple", "sorted") and len(source.args) == 1:
            source = source.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in ("values", "copy") and not source.args:
            source = func.value
    return _self_attr(source)


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _callbacks(frame: Any, node: ast.Call, callee: str, looped: bool) -> None:
    """`bus.subscribe(stats.on_event)`: a bound method of a handled name given to a call ("c", the method
    in the kind field). The receiver is kept where the join can name its class: `self...`, a local made
    here (`bus = Bus()`: written as `Bus.subscribe`), or a module-level name (pruned when unknown)."""
    head, _, rest = callee.partition(".")
    if not rest:
        return
    if frame.hand_new is not None and head in frame.hand_new and head not in frame.hand_params:
        callee = f"{frame.hand_new[head][0]}.{rest}"
    elif head != "self" and (head in frame.hand_params or head in frame.bound):
        return  # a parameter or another local: its class is not known
    for pos, arg in enumerate(node.args):
        if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and _handle(frame, arg.value.id):
            _give(frame, arg.value.id, "c", arg.attr, callee, pos, node, looped)


def _records(frame: Any) -> list:
    return frame.info.setdefault("h", [])


def _given_names(frame: Any) -> set:
    return {r[1] for r in frame.info.get("h", ()) if r[0] == "give"}


def _handle(frame: Any, name: str) -> bool:
    """A local made by a call in this function, or a parameter: something a hand-over can name."""
    if name in ("self", "cls"):
        return False
    return name in frame.hand_params or (frame.hand_new is not None and name in frame.hand_new)


def _give(frame: Any, name: str, how: str, kind: str, text: str, pos: Any, node: ast.Call, copies: bool) -> None:
    made = frame.hand_new.get(name) if frame.hand_new is not None else None
    if made is not None and not any(r[0] == "new" and r[1] == name for r in frame.info.get("h", ())):
        _records(frame).append(["new", name, *made])
    _records(frame).append(["give", name, how, kind, text, pos, node.lineno, node.col_offset, copies])


def _handed(target: ast.expr) -> tuple[ast.expr, list]:
    """The callable an entry runs and the arguments bound to it as written: `partial(f, a)` -> (f, [a]),
    `lambda: f(a)` -> (f, [a]) (the lambda's own parameters bind nothing handed over)."""
    if isinstance(target, ast.Call) and (dotted(target.func) or "").split(".")[-1] == "partial" and target.args:
        return target.args[0], [a for a in target.args[1:] if not isinstance(a, ast.Starred)]
    if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
        own = {a.arg for a in (*target.args.posonlyargs, *target.args.args, *target.args.kwonlyargs)}
        args = target.body.args
        if any(isinstance(a, ast.Starred) for a in args):
            return target.body.func, []
        return target.body.func, [None if isinstance(a, ast.Name) and a.id in own else a for a in args]
    return target, []


def _entry_args(call: ast.Call, entry: Any) -> list:
    """The arguments the entry's target is called with (`args=(a, b)`, `submit(f, a, b)`)."""
    for keyword in call.keywords:
        if keyword.arg == "args" and isinstance(keyword.value, (ast.Tuple, ast.List)):
            return list(keyword.value.elts)
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in _ARG_AFTER_TARGET:
        return []
    index = next((i for i, arg in enumerate(call.args) if arg is entry.target), None)
    return list(call.args[index + 1:]) if index is not None else []
