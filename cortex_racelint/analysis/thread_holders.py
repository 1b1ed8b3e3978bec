"""Where a started thread or a submitted task is kept, and the calls that wait for it.

`analysis.threads` orders what follows a join. The thread (or future) can be kept:

* in a name or attribute: `t = Thread(...)`, `self._t = t = Thread(...)` (every target), and
  the attributes a local holding it is stored in later (`t = Thread(...); t.start(); self._t = t`);
* in a collection: `threads = [Thread(...) for ...]`, `threads.append(Thread(...))`,
  `fs = [pool.submit(...) for ...]`: joined by `for t in threads: t.join()`;

and waited for by `t.join()` (timed too), `ex.shutdown()`, `f.result()`, `f.exception()`, or
`concurrent.futures.wait(fs)` (all of them: not with `return_when=FIRST_COMPLETED`).
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from .names import dotted_name

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)

#: calls on a future that return only once the task ended
FUTURE_WAITS = ("result", "exception")


def kept_in(call: cst.Call, path: Sequence[cst.CSTNode]) -> list[str]:
    """Names/attributes the value of `call` (at path[-1]) is stored in, directly or in a collection."""
    parent = path[-2] if len(path) >= 2 else None
    grand = path[-3] if len(path) >= 3 else None
    names: list[Optional[str]] = []
    if isinstance(parent, cst.Assign):
        names = [dotted_name(target.target) for target in reversed(parent.targets)]
    elif isinstance(parent, cst.AnnAssign):
        names = [dotted_name(parent.target)]
    elif isinstance(parent, _COMPREHENSIONS) and parent.elt is call and isinstance(grand, cst.Assign):
        names = [dotted_name(target.target) for target in grand.targets]
    elif isinstance(parent, cst.Element) and isinstance(grand, (cst.List, cst.Tuple, cst.Set)) and len(path) >= 4:
        owner = path[-4]  # `fs = [pool.submit(a), pool.submit(b)]`
        if isinstance(owner, cst.Assign):
            names = [dotted_name(target.target) for target in owner.targets]
    elif (
        isinstance(parent, cst.Arg)
        and isinstance(grand, cst.Call)
        and isinstance(grand.func, cst.Attribute)
        and grand.func.attr.value == "append"
    ):
        names = [dotted_name(grand.func.value)]
    return [name for name in names if name is not None]


def loop_alias(node: cst.CSTNode, names: set[str]) -> Optional[str]:
    """`for t in threads:` (or `threads.values()`) over a kept collection: the loop name."""
    if not isinstance(node, cst.For) or not isinstance(node.target, cst.Name):
        return None
    source = node.iter
    if isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute) and source.func.attr.value == "values":
        source = source.func.value
    return node.target.value if dotted_name(source) in names else None


def waits_for_all(call: cst.Call, names: set[str], imports) -> bool:
    """`concurrent.futures.wait(fs)` over a kept collection of futures, waiting for all of them."""
    qualified = imports.qualify(call.func) or ""
    if qualified != "concurrent.futures.wait" or not call.args:
        return False
    if dotted_name(call.args[0].value) not in names:
        return False
    for arg in call.args[1:]:
        if arg.keyword is not None and arg.keyword.value == "return_when":
            return (dotted_name(arg.value) or "").endswith("ALL_COMPLETED")
    return True


def stored_in_attributes(function: cst.FunctionDef, local: str) -> list[str]:
    """`self._thread = t` in `function` for a local `t`: the attributes the local's value is kept in."""
    found: list[str] = []
    for statement in function.body.body if isinstance(function.body, cst.IndentedBlock) else ():
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Name) and small.value.value == local:
                found += [name for t in small.targets if isinstance(t.target, cst.Attribute) and (name := dotted_name(t.target))]
    return found
