"""Statements of the starting method that cannot run after its thread start.

`before_start()` knows the statements that precede the start in its blocks. A statement on a
branch that excludes the start is not concurrent with that thread either, for the same reason:
in this call it runs while the thread is not started yet, or instead of starting it (pyserial
cp2110 `open()`: `except: self._hid_handle = None; raise` in a `try` whose `else:` starts the
reader). An earlier call's thread still running is the same question as for the statements
before the start (`analysis.setup_order.rerunnable_starters` drops such starters).

Walking from the method down the path to the start call, a statement off the path counts when
no execution reaches it after the start:

* in a block on the path: the siblings before the path's statement (not inside a loop around
  the start: the next round runs them again);
* `try` whose `else` or handler holds the start: the other handlers (and the `else` of one
  whose handler holds it), never the `finally`; a `try` whose body holds the start: none of its
  handlers, `else` or `finally`;
* an `if`, loop, `with`, `match` or anything else on the path: nothing more than its own block.
  The other branch of an `if` is left out on purpose: in a lazy starter (`if self._t is None:
  start() else: self.n += 1`) it is the "already running" branch, concurrent with the thread.
  A failed set-up (an exception) is not a sign of a running thread.

A statement holding a nested `def`, `lambda` or class is left out: its body runs whenever called.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from .thread_syntax import _LOOPS, _walk

_DEFS = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def exclusive_of_start(path: Sequence[cst.CSTNode]) -> set[int]:
    """Ids of whole statements (in path[0]'s own body) that never run after the call `path[-1]`."""
    if any(isinstance(step, _DEFS) for step in path[1:-1]):
        return set()  # started from a nested def: when it runs is `analysis.nested_order`'s question
    on_path = {id(step) for step in path}
    ids: set[int] = set()
    in_loop = False
    for index in range(1, len(path) - 1):
        node, child = path[index], path[index + 1]
        if isinstance(node, _LOOPS) and child is node.body:
            in_loop = True
        if isinstance(node, cst.IndentedBlock) and not in_loop:
            for statement in node.body:
                if statement is child:
                    break
                _add(statement, ids)
        elif isinstance(node, cst.Try) and not in_loop:
            handlers = list(node.handlers)
            if child is node.orelse or any(child is h for h in handlers):
                for handler in handlers:
                    if handler is not child:
                        _add(handler, ids)
            if any(child is h for h in handlers) and node.orelse is not None:
                _add(node.orelse, ids)
    return {i for i in ids if i not in on_path}


def _add(node: cst.CSTNode, ids: set[int]) -> None:
    """The statements of `node` (a statement, a suite, a handler or an `else`), unless one holds a def."""
    for inner, _ in _walk(node, [], set()):
        if isinstance(inner, _DEFS):
            return
    if isinstance(node, cst.BaseStatement):
        ids.add(id(node))
        return
    for inner, _ in _walk(node, [], set()):
        if isinstance(inner, cst.BaseStatement) and inner is not node:
            ids.add(id(inner))
