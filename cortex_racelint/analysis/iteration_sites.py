"""Where a `self.<attr>` container is iterated step by step (the CRL4 thread model's ITERATE kind).

An iteration that runs Python code between its steps can be interrupted by a thread switch
under the GIL, and on free-threaded builds it always overlaps other threads: a dict or set
changed meanwhile raises `RuntimeError: dictionary changed size during iteration`, a list
is read torn (an element skipped or seen twice). Counted as iterating:

* the iterable of a `for` or a comprehension: `self.d`, `self.d.items()`/`keys()`/`values()`,
  and those wrapped in `enumerate`/`zip`/`reversed`/`iter`/`filter`/`map`;
* the object handed to a serialiser or copier that walks it in Python: `json.dump` (the
  file form encodes in chunks, a generator), `json.dumps` with `indent=`/`default=`/`cls=`
  (the pure-Python encoder on 3.12 and older, a callback on any), `pickle.dump` into a file,
  `copy.deepcopy`, `yaml.dump`/`yaml.safe_dump`.

A `json.dump`/`json.dumps` with `sort_keys=True` starts each dict with `sorted(d.items())`, one C
call copying it (`sorted_dump`): a dict walked so cannot change size under it (CRL405 judges the
container's kind); a list is still walked item by item.

Not counted: one C call that copies the container (`list(self.a)`, `dict(self.d)`,
`sorted(self.d)`, `self.d.copy()`, `{**self.d}`, a plain `json.dumps(self.d)`): CPython
runs it without a switch under the GIL and under the object's lock on free-threaded
builds, which is why the fix's snapshot has this form.
"""

from __future__ import annotations

import ast
from typing import Optional, Sequence

import libcst as cst

from .access_kinds import MUTATORS
from .names import ast_dotted, dotted_name

#: dict views iterated by a loop
VIEWS = frozenset({"items", "keys", "values"})
#: lazy wrappers a loop consumes step by step
_LAZY_WRAPPERS = frozenset({"enumerate", "zip", "reversed", "iter", "filter", "map"})
#: serialisers and copiers that walk their first argument in Python code
WALKERS = frozenset(
    {"json.dump", "pickle.dump", "copy.deepcopy", "deepcopy", "yaml.dump", "yaml.safe_dump", "yaml.dump_all"}
)
#: `json.dumps` keywords that make it walk in Python (the pure encoder or a callback)
_PYTHON_ENCODING = frozenset({"indent", "default", "cls"})


def iteration_use(path: Sequence[cst.CSTNode]) -> Optional[str]:
    """How the `self.<attr>` node ending `path` is iterated step by step, or None.

    The answer names the consumer for messages: "loop", "comprehension", or the walker
    (`json.dump`, ...)."""
    index = len(path) - 1
    node = path[index]
    parent = path[index - 1] if index >= 1 else None
    # `self.d.items()`: climb to the call
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in VIEWS:
        call = path[index - 2] if index >= 2 else None
        if not (isinstance(call, cst.Call) and call.func is parent and not call.args):
            return None
        index -= 2
        node = call
        parent = path[index - 1] if index >= 1 else None
    # `enumerate(self.a)`, `zip(self.a, b)`: the wrapper is what the loop consumes
    if isinstance(parent, cst.Arg) and index >= 2:
        call = path[index - 2]
        if isinstance(call, cst.Call) and parent.keyword is None:
            name = dotted_name(call.func)
            if name in _LAZY_WRAPPERS and index >= 3:
                holder = path[index - 3]
                if isinstance(holder, (cst.For, cst.CompFor)) and holder.iter is call:
                    return "loop" if isinstance(holder, cst.For) else "comprehension"
                return None
            if name is not None and call.args and call.args[0] is parent:
                return _walker(name, call)
        return None
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return "loop" if isinstance(parent, cst.For) else "comprehension"
    return None


def _walker(name: str, call: cst.Call) -> Optional[str]:
    if name in WALKERS:
        return name
    if name == "json.dumps" and any(a.keyword is not None and a.keyword.value in _PYTHON_ENCODING for a in call.args):
        return name
    return None


def iteration_consumer(path: Sequence[cst.CSTNode]) -> str:
    """The consumer of an ITERATE access, for messages ("a loop", "`json.dump`")."""
    use = iteration_use(path) or "loop"
    return {"loop": "a loop", "comprehension": "a comprehension"}.get(use, f"`{use}`")


# -- the same definitions on the stdlib `ast` (the project index, `project/summary.py`) ------------


def _ast_self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def sorted_dump(path: Sequence[cst.CSTNode]) -> bool:
    """The `self.<attr>` node ending `path` is the first argument of `json.dump(..., sort_keys=True)`
    (or `json.dumps`): the encoder copies each dict with `sorted(d.items())` before it writes."""
    if len(path) < 3 or not isinstance(path[-2], cst.Arg) or not isinstance(path[-3], cst.Call):
        return False
    call = path[-3]
    if dotted_name(call.func) not in ("json.dump", "json.dumps") or not call.args or call.args[0] is not path[-2]:
        return False
    return any(
        a.keyword is not None and a.keyword.value == "sort_keys" and isinstance(a.value, cst.Name) and a.value.value == "True"
        for a in call.args
    )


def _ast_walked(expr: ast.AST, wrappers: bool) -> list[ast.Attribute]:
    """The `self.a` nodes a loop over `expr` walks step by step: `self.a`, `self.a.items()` (a view),
    or (with `wrappers`) those inside `enumerate(...)`/`zip(...)`/... (each positional argument)."""
    if wrappers and isinstance(expr, ast.Call) and ast_dotted(expr.func) in _LAZY_WRAPPERS:
        return [walked for arg in expr.args for walked in _ast_walked(arg, False)]
    if (
        isinstance(expr, ast.Call) and not expr.args and not expr.keywords
        and isinstance(expr.func, ast.Attribute) and expr.func.attr in VIEWS
    ):
        expr = expr.func.value
    return [expr] if _ast_self_attr(expr) else []  # type: ignore[list-item]


def ast_walks(node: ast.AST) -> list[tuple[ast.Attribute, str]]:
    """(the `self.<attr>` node, consumer) for each attribute the statement or expression `node` itself
    walks step by step: a `for`'s or comprehension's iterable, a walker's first argument (the rules of
    `iteration_use`, on the stdlib `ast` the project index reads)."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [(walked, "loop") for walked in _ast_walked(node.iter, True)]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [(walked, "comprehension") for g in node.generators for walked in _ast_walked(g.iter, True)]
    if isinstance(node, ast.Call) and node.args:
        name = ast_dotted(node.func)
        walker = name in WALKERS or (
            name == "json.dumps" and any(k.arg in _PYTHON_ENCODING for k in node.keywords)
        )
        if walker and not isinstance(node.args[0], ast.Starred):
            return [(walked, name) for walked in _ast_walked(node.args[0], False)]  # type: ignore[misc]
    return []


def ast_size_change(node: ast.AST) -> Optional[str]:
    """`a` when `node` changes the contents of `self.a` in one step (the CRL4 model's MUTATE:
    `self.a.append(x)`, `self.a[k] = v`, `del self.a[k]`; the container methods of `MUTATORS`)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
        return _ast_self_attr(node.func.value)
    targets: list = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.Delete):
        targets = node.targets
    for target in targets:
        if isinstance(target, ast.Subscript) and _ast_self_attr(target.value):
            return _ast_self_attr(target.value)
    return None
