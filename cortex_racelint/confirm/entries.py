"""Entries for windows that are not reached by calling their function directly.

* A closure (`make_getter.get`) is reached through what its factory returned: a module-level
  name bound to a call of the factory (`get_a = make_getter("a")`) is the entry.
* A metaclass's `__call__` runs when a class made by the metaclass is instantiated: the entry is
  one of those classes (`Service()`). A class whose own code instantiates another class of the
  same metaclass is preferred: it runs the window twice in one call, nested, so a non-reentrant
  lock around the window deadlocks in the model as it would in use.
"""

from __future__ import annotations

import ast
from typing import Optional


def _required(function: ast.FunctionDef) -> int:
    positional = function.args.posonlyargs + function.args.args
    return len(positional) - 1 - len(function.args.defaults) + sum(d is None for d in function.args.kw_defaults)


def closure_entry(tree: ast.Module, outer: ast.FunctionDef, inner: ast.FunctionDef) -> Optional[str]:
    """`get_a` for `get_a = make_getter(...)` at module level when `make_getter` returns `get`; else None."""
    if _required(inner) + 1 > 0:  # the closure itself is called with no arguments
        return None
    returns = any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == inner.name for n in outer.body)
    if not returns:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) and node.value.func.id == outer.name:
            return node.targets[0].id
    return None


def metaclass_entry(tree: ast.Module, metaclass: ast.ClassDef) -> Optional[str]:
    """`Service()` for a class of the module made by `metaclass` (a subclass of `type`); None if none can be built."""
    if not any(isinstance(b, ast.Name) and b.id == "type" for b in metaclass.bases):
        return None
    made = [n for n in tree.body if isinstance(n, ast.ClassDef)
            and any(k.arg == "metaclass" and isinstance(k.value, ast.Name) and k.value.id == metaclass.name for k in n.keywords)]
    names = {n.name for n in made}
    buildable = []
    for cls in made:
        init = next((i for i in cls.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None)
        if init is not None and _required(init) > 0:
            continue
        nested = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in names - {cls.name}
                     for c in ast.walk(cls))
        buildable.append((not nested, cls.lineno, cls.name))
    return f"{min(buildable)[2]}()" if buildable else None
