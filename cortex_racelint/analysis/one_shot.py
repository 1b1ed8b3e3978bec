"""Code that does not run in a long-lived, multi-threaded process: tests and script entry points.

A file written by a test method, a `setUp`, a management command or the `main()` a script's
`if __name__ == "__main__":` calls is written by one short-lived caller, not by the threads of a
service: CRL301/CRL302 do not report it (issue 15: 7 of 8 sampled CRL301 findings were such code).
A helper those call is still reported: it can be called from anywhere.
"""

from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from .context import LintContext, _is_main_guard
from .lazyinit import walk_statements
from .names import dotted_name

TEST_HOOKS = frozenset(
    {"setUp", "tearDown", "setUpClass", "tearDownClass", "setUpModule", "tearDownModule", "asyncSetUp", "asyncTearDown",
     "setup_method", "teardown_method", "setup_class", "teardown_class", "setup_module", "teardown_module"}
)
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
#: decorators that make a function a command-line entry point (click, typer, fire-style apps)
COMMAND_DECORATORS = ("command", "group", "main")
COMMAND_BASES = ("BaseCommand", "Command")


def is_test_module(path: str) -> bool:
    """A test file by its name, or by a `tests/` folder in the path as given (a relative one only:
    an absolute path's folders above the project, `/builds/tests/app/...`, say nothing)."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    if name == "conftest.py" or (name.startswith("test_") and name.endswith(".py")) or name.endswith("_test.py"):
        return True
    return not os.path.isabs(path) and any(part in TEST_FOLDERS for part in parts[:-1])


def _bases(class_node: Optional[cst.ClassDef]) -> list[str]:
    if class_node is None:
        return []
    return [(dotted_name(base.value) or "").rpartition(".")[2] for base in class_node.bases]


def _decorators(function: cst.FunctionDef) -> list[str]:
    names = []
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        names.append((dotted_name(expr) or "").rpartition(".")[2])
    return names


def _main_guard_calls(context: LintContext) -> frozenset[str]:
    """Module functions called inside `if __name__ == "__main__":`."""
    key = ("one_shot_main_calls",)
    if key not in context.memo:
        names: set[str] = set()
        for stmt in context.module.body:
            if isinstance(stmt, cst.If) and _is_main_guard(stmt.test):
                for node in walk_statements([stmt.body]):
                    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                        names.add(node.func.value)
        context.memo[key] = frozenset(names)
    return context.memo[key]  # type: ignore[return-value]


def one_shot_here(context: LintContext) -> Optional[str]:
    """`one_shot_reason` for the outermost def around the node being visited (and its class)."""
    ancestors = context.ancestors
    index = next((i for i, node in enumerate(ancestors) if isinstance(node, cst.FunctionDef)), None)
    if index is None:
        return None
    holder = ancestors[index - 2] if index >= 2 else None  # ClassDef > IndentedBlock > FunctionDef
    return one_shot_reason(context, ancestors[index], holder if isinstance(holder, cst.ClassDef) else None)


def one_shot_reason(
    context: LintContext, outer: cst.FunctionDef, class_node: Optional[cst.ClassDef]
) -> Optional[str]:
    """Why the function (its outermost def, and the class holding it) is not service code, or None."""
    if is_test_module(context.path):
        return "test code"
    name = outer.name.value
    bases = _bases(class_node)
    if class_node is not None and (any(b.endswith("TestCase") for b in bases) or class_node.name.value.startswith("Test")):
        if name.startswith("test") or name in TEST_HOOKS:
            return "test code"
    if class_node is None and name.startswith("test_"):
        return "test code"
    if os.path.basename(context.path) == "__main__.py":
        return "a script's entry point"
    if class_node is None and name in _main_guard_calls(context):
        return "a script's entry point (called from `if __name__ == \"__main__\":`)"
    if any(d in COMMAND_DECORATORS for d in _decorators(outer)):
        return "a command-line entry point"
    if class_node is not None and name == "handle" and any(b in COMMAND_BASES for b in bases):
        return "a management command"
    return None
