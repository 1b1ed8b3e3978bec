"""Reproducer specs for the families beyond check-then-create (CRL201, CRL202, CRL301, CRL302, CRL303, CRL304,
CRL401, CRL402, CRL404, CRL405, CRL406, and CRL108's creation on a shared object).

These are driven through runtime hooks (see `hooks.py` and `scenarios.py`) rather than an
edit of the module: the spec names the function holding the window, the window's line
(found again by its text in a fixed module), the attribute for CRL4 and, for CRL401, the
method on the other side of the race (the finding's window `act`). CRL404/CRL108 get their shared object
from the finding's data (`Finding.shared`): an accessor or global to import, or a hand-over's making call
(`handover.py`); a CRL404 reset races with the method the threads run to update the attribute.
"""

from __future__ import annotations

import ast
import re

from ..ftypes import Finding
from .callers import find_writer
from .handover import recipe
from .shared_walk import shared_walk_other
from .torn_reads import writer_of
from .spec import NotRunnable, ReproducerSpec, _enclosing, located_spec, parse_finding_source

#: code -> scenario family
FAMILIES = {"CRL201": "sqlite", "CRL202": "connection", "CRL301": "file-write", "CRL302": "torn-read", "CRL303": "file-create",
            "CRL304": "load-save", "CRL401": "shared", "CRL405": "walk", "CRL406": "walk", "CRL402": "rmw", "CRL404": "rmw", "CRL108": "creation"}

#: the project-wide rules: the object the methods run on is the one the project index found
SHARED_OBJECT_RULES = ("CRL404", "CRL108", "CRL406")

_WHY_NOT = {
    "CRL501": ("a primitive bound to another event loop fails only once a loop has to wait on it (a contended "
               "lock, an empty queue), which the model would have to set up per primitive and per loop; "
               "see docs/CONFIRM.md"),
}


def shared_object(finding: Finding) -> tuple[str, str]:
    """(accessor or global to import, hand-over recipe): how to get the object a CRL404/CRL108 finding's
    method runs on, from the finding's data (`Finding.shared`), never from its message."""
    shared = finding.shared
    if shared is None:
        raise NotRunnable("the finding carries no shared-object data (it was not found by the project index)")
    if shared.how in ("accessor", "global"):
        return shared.expression, ""
    if shared.how == "container":
        raise NotRunnable(f"the shared object is an entry of `{shared.expression}` (which entry is not an expression)")
    return "", recipe(shared)


def _updater(finding: Finding, function: str) -> str:
    """For a reset or derived value in a method the threads do not run to update the attribute (`drain()`
    rebinding `self.stats`): the method they do run (`record()`), the other side of its race."""
    shared = finding.shared
    owner, name = function.split(".", 1)
    if shared is None or not shared.methods or name in shared.methods:
        return ""
    return f"{owner}.{shared.methods[0]}"


def _function(tree: ast.Module, line: int, what: str) -> str:
    """`Class.method` or `function` holding `line`; drivable ones only."""
    chain = _enclosing(tree, line)
    names = ".".join(n.name for n in chain)  # type: ignore[attr-defined]
    if not chain or not isinstance(chain[-1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise NotRunnable(f"the {what} is not inside a function")
    if isinstance(chain[-1], ast.AsyncFunctionDef):
        raise NotRunnable("async functions are not driven by the reproducer yet")
    if len(chain) == 1:
        return names
    if len(chain) == 2 and isinstance(chain[0], ast.ClassDef):
        return names
    raise NotRunnable(f"`{names}` is nested; only module functions and methods are driven")


def _starter(tree: ast.Module, qualified: str) -> str:
    """The method starting `qualified` as a `Thread(target=self.<name>)`, else `qualified` itself.

    A thread target driven directly skips what its starter sets up (`self._running = True`),
    so its loop may never run; the starter runs the real path.
    """
    owner, name = qualified.split(".", 1)
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == owner):
            continue
        for method in node.body:
            if not isinstance(method, ast.FunctionDef):
                continue
            for call in ast.walk(method):
                if isinstance(call, ast.Call) and _callee(call.func) == "Thread":
                    for keyword in call.keywords:
                        target = keyword.value
                        if keyword.arg == "target" and isinstance(target, ast.Attribute) and target.attr == name:
                            return f"{owner}.{method.name}"
    return qualified


def _callee(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _attribute(line_text: str, column: int) -> str:
    """The attribute of the `self.<attr>` access the finding points at (or the line's first one)."""
    match = re.match(r"(\w+)\.(\w+)", line_text[column:]) or re.search(r"\bself\.(\w+)", line_text)
    if match is None:
        raise NotRunnable("the finding does not point at a `self.<attr>` access")
    return match.group(match.lastindex or 1)


def _lazy_act(tree: ast.Module, line: int) -> int:
    """The line of the creation (`self.<attr> = make()`) inside the lazy `if` a CRL108 finding points at."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and node.lineno == line:
            for statement in ast.walk(node):
                if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement is not node:
                    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                    if any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
                           for t in targets):
                        return statement.lineno
    raise NotRunnable("no `self.<attr> = ...` creation inside the lazy check")


def build_family_spec(finding: Finding, source: bytes) -> ReproducerSpec:
    family = FAMILIES.get(finding.code)
    if family is None:
        reason = _WHY_NOT.get(finding.code, "no automatic reproducer yet")
        raise NotRunnable(f"{finding.code} findings: {reason}")
    path, tree = parse_finding_source(finding, source)
    lines = source.decode("utf-8", "replace").splitlines()
    line = finding.line
    function = _function(tree, line, "race")
    if family == "creation":  # CRL108 points at the lazy `if`; the act counted is the creation inside it
        line = finding.window.act.start.line if finding.window is not None else _lazy_act(tree, line)
    attr = other = other_entry = shared = build = ""
    entry = function
    if finding.code in SHARED_OBJECT_RULES:
        if "." not in function:
            raise NotRunnable("the update is not in a method of the shared object")
        shared, build = shared_object(finding)
        if family == "rmw":
            other = _updater(finding, function)
    if family in ("shared", "rmw", "connection", "walk"):
        if "." not in function:
            raise NotRunnable("the shared attribute is not accessed in a method")
        attr = _attribute(lines[line - 1], finding.column)
    if family == "torn-read":  # the reader against the writer holding the lock (`torn_reads.py`)
        other = writer_of(tree, function, finding.line, finding.column)
    if finding.code == "CRL406":  # the walk and the size change, on the shared object (`shared_walk.py`)
        other = shared_walk_other(finding, function)
    elif family in ("shared", "walk"):
        if finding.window is None:
            raise NotRunnable("the finding carries no race window (the other side is unknown)")
        other = _function(tree, finding.window.act.start.line, "other side")
        if family == "walk":  # CRL405's window: the walk (`check`) and the change landing in it (`act`)
            line = finding.window.check.start.line
            function = _function(tree, line, "walk")
        if other.split(".")[0] != function.split(".")[0]:
            raise NotRunnable(f"the other side `{other}` is not a method of the same class")
        if other == function:
            raise NotRunnable(f"both sides of the race run `{function}()`; the reproducer needs two methods")
        entry, other_entry = _starter(tree, function), _starter(tree, other)
    if family == "connection":
        other = find_writer(tree, function, attr) or ""  # a reader races with a writer, a writer with itself
    return located_spec(
        finding, path, line, lines[line - 1].strip(), entry, function,
        family=family, attr=attr, other_function=other, other_entry=other_entry, shared_object=shared,
        shared_build=build,
    )


__all__ = ["FAMILIES", "build_family_spec", "shared_object"]
