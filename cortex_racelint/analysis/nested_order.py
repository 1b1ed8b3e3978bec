"""Statements before a thread start made inside a nested function.

`_statement_chain` stops at a nested `def`: its body runs whenever it is called, so what
precedes its definition says nothing. But when a method writes a field, then runs a local
function that starts the thread (websocket-client's `run_forever()`: `self.ping_interval = ...`,
then `initialize_socket()` calls `self._start_ping_thread()`), the write precedes the start.

`before_start(path)` is `_before(_statement_chain(path))` plus, when the start sits in a nested
def, the statements of the enclosing function that precede *every* use of that def there: a
direct call `go()`, or the def handed to a call made there (`dispatcher.reconnect(r, go)`: the
callee may run it at once or later, both after the hand-over). A use inside another local def
is followed the same way (`handleDisconnect()` passes `go` on; `closed()` is passed to a call);
a use reached only from inside the def itself (recursion, a cycle of local defs) adds no bound.
Any other use (stored, returned, put in a container) lets it run from anywhere: no statement of
the enclosing function is then known to precede it.

Nested `def` statements themselves are not "before" a start because they are written before it:
their bodies run when they are called. One before the start in the same function counts only when
every use of it is a direct call that is also before the start.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from .thread_syntax import _before, _statement_chain, _walk

_DEFS = (cst.FunctionDef, cst.Lambda)
#: how many local defs deep a start is followed out
_DEPTH = 4


def before_start(path: Sequence[cst.CSTNode]) -> set[int]:
    """Ids of the statements that run before the call at `path[-1]` (path from the region's def)."""
    chain = _statement_chain(path)
    ids = _before(chain)
    _drop_late_defs(chain, path, ids)
    outer = _before_every_use(path, _DEPTH, set())
    return ids | outer if outer else ids


def _drop_late_defs(chain, path: Sequence[cst.CSTNode], ids: set[int]) -> None:
    """A local `def` written before the start is before it only when every use of it is a
    direct call that also runs before the start (`def setup(): ...; setup(); t.start()`);
    one called after the start, or handed on, runs its body after the thread began."""
    scope = path[_innermost_def(path) or 0]
    for block, stmt, repeats in chain:
        if repeats:
            continue
        for sibling in block.body:
            if sibling is stmt:
                break
            if isinstance(sibling, cst.FunctionDef) and not _called_only_before(sibling, scope, ids):
                ids.discard(id(sibling))


def _called_only_before(nested: cst.FunctionDef, scope: cst.CSTNode, ids: set[int]) -> bool:
    name = nested.name.value
    for node, use in _walk(scope, [], set()):
        if not isinstance(node, cst.Name) or node.value != name or node is nested.name or _not_a_use(use):
            continue
        if any(step is nested for step in use):
            continue  # a recursive call: runs only once an outer call did
        if any(isinstance(step, _DEFS) for step in use[1:-1]):
            return False  # called from another local def: when that one runs is not followed here
        parent = use[-2] if len(use) >= 2 else None
        if not (isinstance(parent, cst.Call) and parent.func is node):
            return False  # handed on or kept: it may run at any time
        if not any(id(step) in ids for step in use):
            return False  # called after the start
    return True


def _innermost_def(path: Sequence[cst.CSTNode]) -> Optional[int]:
    for index in range(len(path) - 2, 0, -1):
        if isinstance(path[index], _DEFS):
            return index
    return None


def _before_every_use(path: Sequence[cst.CSTNode], depth: int, following: set[int]) -> Optional[set[int]]:
    """Outer statements before every use of the local def that `path` runs in.

    None means "no bound from here" (no local def on the path, or only reached from a def
    being followed); an empty set means nothing is known to precede it."""
    index = _innermost_def(path)
    if index is None:
        return None
    if depth <= 0:
        return set()  # followed far enough: nothing known
    nested = path[index]
    if not isinstance(nested, cst.FunctionDef):
        return set()  # a lambda: where it is called is not tracked
    enclosing = next((i for i in range(index - 1, -1, -1) if isinstance(path[i], cst.FunctionDef)), None)
    if enclosing is None:
        return set()
    name = nested.name.value
    following = following | {id(nested)}
    result: Optional[set[int]] = None
    defs: set[int] = set()
    for node, use in _walk(path[enclosing].body, list(path[: enclosing + 1]), set()):
        if isinstance(node, cst.FunctionDef):
            defs.add(id(node))
        if not isinstance(node, cst.Name) or node.value != name or node is nested.name or _not_a_use(use):
            continue
        use = list(use)
        if any(id(step) in following for step in use):
            continue  # run from inside a def being followed: after one of its other uses
        call = _call_of_use(use)
        if call is None:
            return set()  # escapes: it may run from anywhere
        here = _before(_statement_chain(call))
        # a use inside a local def `g` (another one, or the enclosing def itself when that is
        # local too) also follows what precedes every use of `g`
        outer = _before_every_use(call, depth - 1, following)
        if outer is None and _innermost_def(call) is not None:
            continue  # `g` runs only from defs being followed: after one of their other uses
        here |= outer or set()
        result = here if result is None else result & here
    if result is None:
        return None
    return result - defs


def _call_of_use(use: list[cst.CSTNode]) -> Optional[list[cst.CSTNode]]:
    """The path to the call that runs or receives the def named at `use[-1]`, if that is the use."""
    parent = use[-2] if len(use) >= 2 else None
    if isinstance(parent, cst.Call) and parent.func is use[-1]:
        return use[:-1]
    grand = use[-3] if len(use) >= 3 else None
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and parent.value is use[-1]:
        return use[:-2]
    return None


def _not_a_use(use: list[cst.CSTNode]) -> bool:
    """`x.go`, `f(go=1)`, a parameter named `go`: the name, not the local def."""
    parent = use[-2]
    return (
        (isinstance(parent, cst.Attribute) and parent.attr is use[-1])
        or (isinstance(parent, cst.Arg) and parent.keyword is use[-1])
        or isinstance(parent, cst.Param)
    )
