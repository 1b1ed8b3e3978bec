"""Code that does not run in a long-lived, multi-threaded process: tests and script entry points.

A file written by a test method, a `setUp`, a management command or the `main()` a script's
`if __name__ == "__main__":` calls is written by one short-lived caller, not by the threads of a
service: CRL301/CRL302 do not report it (issue 15: 7 of 8 sampled CRL301 findings were such code).
A helper those call is still reported: it can be called from anywhere.

Application and command classes are one-shot too: the launcher runs their set-up and command
methods once per process, on the main thread (traitlets' `Application.initialize()`/`start()`
and `init_*()`, gunicorn's `BaseApplication.run()`, Django's `BaseCommand.handle()`, cliff's
`Command.take_action()`, cleo's `Command.handle()`), and so does a method of such a class that
only those methods call. So is a function that parses the command line (`parse_args()` with no
argument reads `sys.argv`: a process's entry point, whoever calls it).

A function that only such code calls, in any module of the project, is one-shot too: the
project index finds it (`project/one_shot_callers.py`); a check drops its findings after the
join, a fix passes it in the file's project facts (`"one_shot"`).
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
#: endings of the base-class names of application and command classes
APP_BASE_SUFFIXES = ("Application", "App", "Command")
#: their methods that the launcher runs once per process
APP_ENTRY_METHODS = frozenset(
    {"initialize", "start", "run", "main", "handle", "execute", "take_action", "invoke", "launch_instance"}
)
APP_ENTRY_PREFIXES = ("init_", "setup_")


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
    if class_node is not None and any(b.endswith(APP_BASE_SUFFIXES) for b in bases):
        if name in _app_one_shot_methods(context, class_node):
            return "an application's set-up or command method, run once per process"
    if parses_command_line(outer):
        return "a command-line entry point (it parses `sys.argv`)"
    if context.config.project_facts:  # `--fix` of a project: functions only one-shot code calls
        qual = f"{class_node.name.value}.{name}" if class_node is not None else name
        return context.project_facts.get("one_shot", {}).get(qual)
    return None


def _app_one_shot_methods(context: LintContext, class_node: cst.ClassDef) -> frozenset[str]:
    """The entry methods of an application or command class, and the methods that only they call.

    A method used any other way (a thread target `target=self.work`, a callback, a call from a
    nested def or lambda, which can run later on another thread) is not one of them.
    """
    key = ("one_shot_app_methods", id(class_node))
    if key not in context.memo:
        methods = {
            stmt.name.value: stmt for stmt in class_node.body.body if isinstance(stmt, cst.FunctionDef)
        }
        found = {m for m in methods if m in APP_ENTRY_METHODS or m.startswith(APP_ENTRY_PREFIXES)}
        uses: dict[str, list[Optional[str]]] = {}  # method -> the methods calling it (None: another use)
        for caller, function in methods.items():
            for node, direct in _self_uses(function):
                if node.attr.value in methods:
                    uses.setdefault(node.attr.value, []).append(caller if direct else None)
        changed = True
        while changed:
            changed = False
            for method, callers in uses.items():
                if method not in found and callers and all(c is not None and c in found for c in callers):
                    found.add(method)
                    changed = True
        context.memo[key] = frozenset(found)
    return context.memo[key]  # type: ignore[return-value]


def _self_uses(function: cst.FunctionDef) -> list[tuple[cst.Attribute, bool]]:
    """`self.<name>` in the method, and whether it is called right there (not in a nested def or lambda)."""
    params = function.params.params
    if not params:
        return []
    receiver = params[0].name.value
    called: set[int] = set()
    found: list[tuple[cst.Attribute, bool]] = []
    nested: set[int] = set()
    stack: list[tuple[cst.CSTNode, bool]] = [(function.body, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            called.add(id(node.func))
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == receiver:
            found.append(node)  # type: ignore[arg-type]
            if inside:
                nested.add(id(node))
        deeper = inside or isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
        stack.extend((child, deeper) for child in node.children)
    return [(node, id(node) in called and id(node) not in nested) for node in found]


def parses_command_line(function: cst.FunctionDef) -> bool:
    """`<parser>.parse_args()` or `parse_known_args()` with no argument: it reads `sys.argv`."""
    for node in walk_statements([function.body]):
        if (
            isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("parse_args", "parse_known_args")
        ):
            return True
    return False
