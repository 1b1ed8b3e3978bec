"""From a static finding to a runnable reproducer specification.

A singleton-style race has a check and an act (`_x = X()`); the act statement is where a
thread must be held for the race to show. The reproducer runs on a temporary copy of the
user's package in which one test-only statement, `__racelint_hold__()`, is inserted
right before the act: every racing thread that passed the check waits there on a
barrier. Nothing in the user's tree is ever modified. The other families are held by
runtime hooks instead (`families.py`, `scenarios.py`); `build.py` picks the builder.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from ..ftypes import Finding
from .entries import closure_entry, metaclass_entry

#: The rule codes whose window is "check, then create": confirmable by counting creations.
#: CRL107 (opt-in) is the same window where the race only recomputes an equal value; its fix's lock is certified too.
CREATION_RACES = ("CRL101", "CRL102", "CRL103", "CRL104", "CRL105", "CRL107")


class NotRunnable(Exception):
    """The finding cannot be reproduced automatically; the message says why."""


@dataclass(frozen=True)
class ReproducerSpec:
    """Everything a reproducer needs, as plain data (it is embedded in emitted tests)."""

    code: str
    package_root: str  # folder that goes on sys.path
    copy_dir: str  # top-level package folder (or the module file) copied to the sandbox
    module: str  # dotted import name
    relative_file: str  # path of the module file inside the copy
    act_line: int  # 1-based line before which the hold is inserted (in the original file)
    act_source: str  # the act statement's text, to find it again in a fixed file
    entry: str  # `func`, `Class.method` or `Class()`
    function: str  # qualified name of the function holding the window
    exposure: str
    family: str = "creation"  # which scenario drives it (see `scenarios.py`)
    attr: str = ""  # the shared attribute (CRL401/CRL402)
    other_function: str = ""  # the other side of a CRL401 race, `Class.method`
    other_entry: str = ""  # what drives the other side: the method itself or the one starting its thread
    caller: str = ""  # a function calling `function` in the same module/class: certificates drive it too
    shared_object: str = ""  # CRL404/CRL108: the process-wide object (`pkg.mod.get_x()`, `pkg.mod._x`) the methods run on
    shared_build: str = ""  # CRL404/CRL108 on a hand-over: how the maker builds the object (JSON, `handover.recipe`)
    arguments: str = ""  # JSON `{qualified name: [argument set, ...]}` inferred from the module (`inference.py`)

    def to_dict(self) -> dict:
        return asdict(self)


def module_location(path: Path) -> tuple[Path, Path, str]:
    """(sys.path root, top package folder or file, dotted module name) for a file."""
    path = path.resolve()
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    top: Path = path
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        top = folder
        folder = folder.parent
    return folder, top, ".".join(parts)


def _enclosing(tree: ast.Module, line: int) -> list[ast.AST]:
    """Class/function chain containing `line`, outermost first."""
    chain: list[ast.AST] = []
    body = tree.body
    while True:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.lineno <= line <= (node.end_lineno or node.lineno):
                    chain.append(node)
                    body = node.body
                    break
        else:
            return chain


def _required_args(function: ast.FunctionDef, skip_first: bool) -> list[str]:
    args = function.args
    positional = args.posonlyargs + args.args
    if skip_first:
        positional = positional[1:]
    without_default = positional[: len(positional) - len(args.defaults)]
    kw_required = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return [a.arg for a in without_default] + kw_required


def _entry(chain: list[ast.AST], tree: ast.Module) -> tuple[str, str]:
    names = [node.name for node in chain]  # type: ignore[attr-defined]
    if not chain or not isinstance(chain[-1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise NotRunnable("the race is not inside a function")
    function = chain[-1]
    if isinstance(function, ast.AsyncFunctionDef):
        raise NotRunnable("async functions are not driven by the reproducer yet")
    qualified = ".".join(names)
    if len(chain) == 1:  # its arguments are inferred from the module (`inference.py`) or built from annotations
        return function.name, qualified
    owner = chain[-2]
    if len(chain) == 2 and isinstance(owner, ast.FunctionDef):
        entry = closure_entry(tree, owner, function)
        if entry:
            return entry, qualified
    if len(chain) != 2 or not isinstance(owner, ast.ClassDef):
        raise NotRunnable(f"`{qualified}` is nested; only module functions and methods are driven")
    if function.name == "__call__":
        entry = metaclass_entry(tree, owner)
        if entry:
            return entry, qualified
    decorators = {d.id for d in function.decorator_list if isinstance(d, ast.Name)}
    if function.name == "__new__":
        missing = _required_args(function, skip_first=True)
        if missing:
            raise NotRunnable(f"`{owner.name}()` needs arguments it cannot build: {', '.join(missing)}")
        return f"{owner.name}()", qualified
    if "classmethod" in decorators or "staticmethod" in decorators:
        return f"{owner.name}.{function.name}", qualified
    raise NotRunnable(f"`{qualified}` is an instance method; its race needs a shared instance the reproducer cannot pick")


def parse_finding_source(finding: Finding, source: bytes) -> tuple[Path, ast.Module]:
    path = Path(finding.path)
    if not path.is_file():
        raise NotRunnable("the source is not a file on disk (stdin)")
    try:
        return path, ast.parse(source)
    except SyntaxError as error:
        raise NotRunnable(f"the module does not parse: {error.msg}") from error


def build_creation_spec(finding: Finding, source: bytes) -> ReproducerSpec:
    """The spec for a check-then-create race (`CREATION_RACES`): held right before the act."""
    if finding.window is None:
        raise NotRunnable("the finding carries no race window")
    path, tree = parse_finding_source(finding, source)
    act_line = finding.window.act.start.line
    entry, qualified = _entry(_enclosing(tree, act_line), tree)
    lines = source.decode("utf-8", "replace").splitlines()
    return located_spec(finding, path, act_line, lines[act_line - 1].strip(), entry, qualified)


def located_spec(finding: Finding, path: Path, act_line: int, act_source: str, entry: str, function: str, **extra) -> ReproducerSpec:
    """The spec for `finding` in the module at `path`, with where and how to drive it (and family fields)."""
    root, top, module = module_location(path)
    return ReproducerSpec(
        code=finding.code,
        package_root=str(root),
        copy_dir=str(top),
        module=module,
        relative_file=str(path.resolve().relative_to(root)),
        act_line=act_line,
        act_source=act_source,
        entry=entry,
        function=function,
        exposure=finding.window.exposure.value if finding.window else "gil",
        **extra,
    )


def locate_line(source: str, line: int, text: str, original: Optional[str] = None) -> Optional[int]:
    """The 1-based line of `source` holding `text` (stripped) that was `line` in `original`.

    A fix shifts lines: with as many occurrences as the original had, the same
    occurrence (the second `self.n += 1` stays the second); otherwise the nearest one.
    None if the text is gone.
    """
    def occurrences(text_of: str) -> list[int]:
        return [i + 1 for i, candidate in enumerate(text_of.splitlines()) if candidate.strip() == text]

    matches = occurrences(source)
    if not matches:
        return None
    before = occurrences(original) if original is not None else []
    if line in before and len(before) == len(matches):
        return matches[before.index(line)]
    return min(matches, key=lambda i: abs(i - line))


def insert_hold(source: str, act_line: int, act_source: Optional[str] = None, call: str = "__racelint_hold__") -> str:
    """The module text with `__racelint_hold__()` (or `call()`) on its own line before the act.

    With `act_source`, the act is looked up by its text (for a fixed file, where the
    act moved): the occurrence nearest to `act_line` wins.
    """
    lines = source.splitlines(keepends=True)
    index = act_line - 1
    if act_source is not None:
        matches = [i for i, line in enumerate(lines) if line.strip() == act_source]
        if not matches:
            raise NotRunnable("the act statement is no longer in the module")
        index = min(matches, key=lambda i: abs(i - index))
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    newline = "\r\n" if line.endswith("\r\n") else "\n"
    lines.insert(index, f"{indent}{call}(){newline}")
    return "".join(lines)
