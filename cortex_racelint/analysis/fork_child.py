"""Code that runs in a forked child, where only the forking thread exists.

After `os.fork()` the child has one thread: the others, and whatever they were doing to
shared containers, are gone. Two places run there: the child's branch of a fork
(`pid = os.fork()` then `if pid == 0:` / `if not pid:`), and a callback registered to run
in the child after a fork (`multiprocessing.util.register_after_fork(obj, Cls.m)`,
`os.register_at_fork(after_in_child=self.m)`). A walk there races no thread of the parent.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import libcst as cst

from .names import dotted_name
from .scope_walk import own_nodes

_FORKS = ("fork", "fork1")
_AFTER_FORK = ("register_after_fork",)


def after_fork_callbacks(functions: Iterable[cst.FunctionDef]) -> frozenset[str]:
    """Method names handed to an after-fork registry in these functions (`Cls._afterfork`, `self.reset`)."""
    found = set()
    for function in functions:
        for node in own_nodes(function.body):
            if not isinstance(node, cst.Call):
                continue
            name = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
            if name in _AFTER_FORK:
                args = node.args[1:]
            elif name == "register_at_fork":
                args = [a for a in node.args if a.keyword is not None and a.keyword.value == "after_in_child"]
            else:
                continue
            for arg in args:
                if isinstance(arg.value, cst.Attribute):
                    found.add(arg.value.attr.value)
    return frozenset(found)


def in_fork_child(path: Sequence[cst.CSTNode]) -> bool:
    """The node ending `path` is in the child's branch of `pid = os.fork()` in its function."""
    function = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
    if function is None:
        return False
    pids = _fork_results(function)
    if not pids:
        return False
    for index, node in enumerate(path[:-1]):
        if isinstance(node, cst.If) and path[index + 1] is node.body and _child_test(node.test, pids):
            return True
    return False


def _fork_results(function: cst.FunctionDef) -> set[str]:
    names = set()
    for node in own_nodes(function.body):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            if (dotted_name(node.value.func) or "").rsplit(".", 1)[-1] in _FORKS:
                names |= {t.target.value for t in node.targets if isinstance(t.target, cst.Name)}
    return names


def _child_test(test: cst.BaseExpression, pids: set[str]) -> bool:
    """`pid == 0`, `0 == pid`, `not pid`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value in pids
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if not isinstance(target.operator, cst.Equal):
            return False
        sides = [test.left, target.comparator]
        zero = any(isinstance(side, cst.Integer) and side.value == "0" for side in sides)
        return zero and any(isinstance(side, cst.Name) and side.value in pids for side in sides)
    return False
