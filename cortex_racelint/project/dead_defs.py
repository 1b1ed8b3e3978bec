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
"""

from __future__ import annotations

import ast
from typing import Callable, Iterable, Optional

Span = tuple[int, int, str]  # first line, last line, name


def parse(path: str, read: Callable[[str], bytes]) -> Optional[ast.Module]:
    """The module's tree, None when it cannot be read or parsed."""
    try:
        return ast.parse(read(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def names_in(nodes: Iterable[ast.AST]) -> set[str]:
    """Every name the code uses: names, attributes, imported names, identifier-like strings."""
    found = set()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.alias):
                found.update(node.name.split("."))
                if node.asname:
                    found.add(node.asname)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                found.add(node.value)
    return found


def dead_definitions(tree: ast.Module, elsewhere: set[str], live_quals: Iterable[str]) -> list[Span]:
    """The dead top-level definitions of `tree` (rules 1-4 of the module docstring).

    `elsewhere`: the names the project's other modules use; `live_quals`: the qualified names
    a thread entry reaches or that start a thread in this module (rules 1-2)."""
    if _looks_itself_up(tree):
        return []
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    if "__subclasses__" in elsewhere or "__subclasses__" in names_in([tree]):
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef)  # a class may be found by enumeration
    defs = [node for node in tree.body if isinstance(node, kinds)]
    rest = [node for node in tree.body if not isinstance(node, kinds)]
    live = names_in(rest) | elsewhere
    live.update(node.name for node in defs if node.decorator_list)
    live.update(qual.split(".")[0] for qual in live_quals)
    used = {id(node): names_in([node]) - {node.name} for node in defs}
    changed = True
    while changed:
        changed = False
        for node in defs:
            if node.name in live and not used[id(node)] <= live:
                live |= used[id(node)]
                changed = True
    return [(node.lineno, node.end_lineno or node.lineno, node.name) for node in defs if node.name not in live]


def _looks_itself_up(tree: ast.Module) -> bool:
    """Whether the module reads its own namespace: `globals()`, or `vars()`/`dir()` without an argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "globals" or (node.func.id in ("vars", "dir") and not node.args):
                return True
    return False
