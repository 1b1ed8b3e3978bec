"""Dead definitions of a private module that starts threads: nothing of its project runs them.

`thread_reach.py` keeps every finding of a private module some thread of its project may
reach. A module that starts a thread itself (`pip._vendor.distlib.util` runs
`SubprocessMixin.reader` on one) is reached whole, yet most of its top-level definitions may
be code the project never calls at all (pip vendors distlib without `index.py`, the only user
of `_store_pypirc`, so `PyPIRCFile.update` never runs). Code that never runs cannot race.

A top-level function or class of such a module is **dead** when all of these hold:

1. no thread entry's call graph reaches it or one of its methods (`join.py`'s reach);
2. it starts no thread itself;
3. it has no decorator (a decorator may register it: `@app.route`, `atexit.register`);
4. its name, as a name, an attribute, an imported name or an identifier-like string
   (`getattr(m, "name")`, `__all__`), appears in no other module of its project, and in its
   own module only inside other dead definitions: the module's top-level code outside the
   definitions (`__all__`, assignments, `if` blocks, definitions nested in them) and every
   live definition make the names they use live, until nothing changes. Two definitions
   naming only each other (`_load_pypirc` → `PyPIRCFile`) are dead together.

A module that looks itself up (`globals()`, `vars()` or `dir()` without an argument) has no dead
definitions, and a project enumerating subclasses (`__subclasses__`) has no dead classes: both
find definitions without naming them. Not seen: a name built at run time (`getattr(m, "_" + x)`)
and a caller outside the project (a private module's is unsupported).

Only private modules qualify: another project could import a public one and call anything.
A module the run cannot parse has no dead definitions; a module of the project that cannot
be read makes none dead (it could name them).

Phase 1 records what this needs in each module's summary (`record`: the names each top-level
definition uses, those of the code outside them, whether the module looks itself up), from
the tree it parses anyway: the join never parses a module again.
"""

from __future__ import annotations

import ast
from typing import Iterable, Optional

Span = tuple[int, int, str]  # first line, last line, name
_KINDS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FIELDS: dict[type, tuple[str, ...]] = {}
#: fields that never hold a name: contexts and operators (a node each, walked for nothing)
_NAMELESS_FIELDS = frozenset({"ctx", "op", "ops"})


def names_in(nodes: Iterable[ast.AST]) -> set[str]:
    """Every name the code uses: names, attributes, imported names, identifier-like strings."""
    found: set[str] = set()
    for top in nodes:
        _collect(top, found)
    return found


def _collect(top: ast.AST, found: set[str]) -> bool:
    """Add the names under `top` to `found` (one stack walk: `ast.walk` costs 2.5x); whether it
    looks its module up (`globals()`, `vars()` or `dir()` without an argument)."""
    add = found.add
    stack: list = [top]
    looks = False
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            add(node.id)
            continue
        if kind is ast.Constant:
            if type(node.value) is str and node.value.isidentifier():
                add(node.value)
            continue
        if kind is ast.Attribute:
            add(node.attr)
        elif kind is ast.alias:
            found.update(node.name.split("."))
            if node.asname:
                add(node.asname)
            continue
        elif kind is ast.Call and type(node.func) is ast.Name:
            name = node.func.id
            looks = looks or name == "globals" or (name in ("vars", "dir") and not node.args)
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(f for f in getattr(kind, "_fields", ()) if f not in _NAMELESS_FIELDS)
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, ast.AST):
                stack.append(value)
    return looks


def record(tree: ast.Module) -> dict:
    """The summary's `dead_defs`: `defs` [name, first line, last line, decorated, class, names it
    uses (space-separated)] per top-level definition, `rest` (the names of the other top-level
    code) and `lookup` (the module reads its own namespace)."""
    defs = []
    rest: set[str] = set()
    looks = False
    for node in tree.body:
        if isinstance(node, _KINDS):
            used: set[str] = set()
            looks = _collect(node, used) or looks
            end = node.end_lineno or node.lineno
            defs.append([node.name, node.lineno, end, bool(node.decorator_list), isinstance(node, ast.ClassDef), " ".join(sorted(used))])
        else:
            looks = _collect(node, rest) or looks
    return {"defs": defs, "rest": " ".join(sorted(rest)), "lookup": looks}


def module_names(summary: dict) -> Optional[set[str]]:
    """Every name the module's code uses (`names_in` of its tree), from its summary; None when
    the summary does not have them."""
    recorded = summary.get("dead_defs")
    if not isinstance(recorded, dict):
        return None
    found = set(recorded["rest"].split())
    for *_, used in recorded["defs"]:
        found.update(used.split())
    return found


def dead_definitions(tree: ast.Module, elsewhere: set[str], live_quals: Iterable[str]) -> list[Span]:
    """`dead_spans` of a parsed module (tests, and callers holding a tree)."""
    return dead_spans(record(tree), elsewhere, live_quals)


def dead_spans(recorded: dict, elsewhere: set[str], live_quals: Iterable[str]) -> list[Span]:
    """The dead top-level definitions of a module, from its summary's `dead_defs` (rules 1-4 of
    the module docstring).

    `elsewhere`: the names the project's other modules use; `live_quals`: the qualified names
    a thread entry reaches or that start a thread in this module (rules 1-2)."""
    if recorded["lookup"]:
        return []
    defs = [(name, first, last, decorated, is_class, set(used.split())) for name, first, last, decorated, is_class, used in recorded["defs"]]
    rest = set(recorded["rest"].split())
    if "__subclasses__" in elsewhere or "__subclasses__" in rest or any("__subclasses__" in d[5] for d in defs):
        rest = rest.union(*(d[5] for d in defs if d[4]))  # a class may be found by enumeration: code like the rest
        defs = [d for d in defs if not d[4]]
    live = rest | elsewhere
    live.update(name for name, _, _, decorated, _, _ in defs if decorated)
    live.update(qual.split(".")[0] for qual in live_quals)
    used_by = [used - {name} for name, *_, used in defs]  # per definition: a name may be defined twice
    changed = True
    while changed:
        changed = False
        for (name, *_), used in zip(defs, used_by):
            if name in live and not used <= live:
                live |= used
                changed = True
    return [(first, last, name) for name, first, last, *_ in defs if name not in live]
