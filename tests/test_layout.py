"""The package's layout rules, checked on its own source (like import-linter contracts).

- no import cycle between racelint's modules (imports inside functions count: they run too);
- data flows one way: `fixes/` never imports `rules/`, the engine never imports a rule module
  (the registry discovers them), `analysis/` imports neither;
- one rule per module, each family in its own package, no module under `rules/` or `fixes/` over
  `MAX_LINES` lines;
- every lock a fix adds is created in `fixes/locks/`: nothing else asks how this module spells
  `threading.Lock()` or adds `import threading`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

from cortex_racelint.registry import all_rules

PACKAGE = Path(__file__).resolve().parent.parent / "cortex_racelint"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py") if "templates" not in path.parts}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of import nodes under `if TYPE_CHECKING:` (never executed)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def imports_of(module: str) -> Iterator[str]:
    """The racelint modules `module` imports, wherever the import statement is."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target not in MODULES:
                continue
            submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES]
            yield from submodules
            if len(submodules) < len(node.names):
                yield target


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


GRAPH = {module: set(imports_of(module)) - {module} for module in MODULES}


def test_the_graph_is_read() -> None:
    """Guards the checks below: they must see real edges, or they would pass vacuously."""
    assert "cortex_racelint.engine.lint" in GRAPH["cortex_racelint.engine.fixer"]
    rule_imports = set().union(*(GRAPH[m] for m in MODULES if m.startswith("cortex_racelint.rules.")))
    assert "cortex_racelint.fixes.locks.lazy_init" in rule_imports
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("cortex_racelint.fixes", "cortex_racelint.rules"),
        ("cortex_racelint.analysis", "cortex_racelint.rules"),
        ("cortex_racelint.analysis", "cortex_racelint.fixes"),
        ("cortex_racelint.engine", "cortex_racelint.rules"),
    ],
)
def test_imports_flow_one_way(layer: str, forbidden: str) -> None:
    offending = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.startswith(layer)
        for target in targets
        if target.startswith(forbidden)
    )
    assert offending == []


def test_rules_and_fixes_are_small_modules() -> None:
    sizes = {
        module: len(path.read_text(encoding="utf-8").splitlines())
        for module, path in MODULES.items()
        if module.startswith(("cortex_racelint.rules.", "cortex_racelint.fixes."))
    }
    assert sizes, "no rule or fix modules found"
    assert {module: size for module, size in sizes.items() if size > MAX_LINES} == {}


def test_one_rule_per_module_one_package_per_family() -> None:
    by_module: dict[str, list[str]] = {}
    for rule in all_rules():
        by_module.setdefault(rule.__module__, []).append(rule.CODE)
    assert {module: codes for module, codes in by_module.items() if len(codes) > 1} == {}
    for module, codes in by_module.items():
        family = module.split(".")[2]
        assert module.count(".") == 3, f"{codes[0]} lives in {module}, not in a family package"
        assert {code[:4] for code in codes} == {codes[0][:4]}, family


def _lock_creating_calls(path: Path) -> list[str]:
    """Calls that create a lock or import `threading` for one, outside the lock planner."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "lock_constructor":
            found.append(f"{path.name}:{node.lineno} lock_constructor()")
        if name == "AddImport" and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in ("threading", "_thread"):
            found.append(f"{path.name}:{node.lineno} AddImport({node.args[0].value!r})")
    return found


def test_only_the_lock_planner_creates_locks() -> None:
    planner = PACKAGE / "fixes" / "locks"
    assert _lock_creating_calls(planner / "placement.py"), "the planner itself must be seen creating locks"
    offending = [
        call
        for module, path in MODULES.items()
        if module.startswith(("cortex_racelint.rules.", "cortex_racelint.fixes.")) and planner not in path.parents
        for call in _lock_creating_calls(path)
    ]
    assert offending == []


_NEW_RULE = '''
import libcst as cst

from cortex_racelint.rule import Invalid, Rule, Valid


class PrintCall(Rule):
    """A rule written by a user: one module, nothing else touched."""

    CODE = "CRL991"
    NAME = "print-call"
    MESSAGE = "`print` called"
    EVIDENCE = ("print",)
    WHAT = WHY = FREE_THREADING = FIX_SAFETY = "..."
    VALID = [Valid("log(1)")]
    INVALID = [Invalid("print(1)", line=1)]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, self.MESSAGE)
'''

_DRIVER = '''
import sys
import cortex_racelint.rules as rules
rules.__path__.append(sys.argv[1])
from cortex_racelint import Config, lint_source
result = lint_source("x = 1\\nprint(x)\\n", "m.py", Config(select=("CRL991",)))
print([(f.code, f.span.start.line) for f in result.findings])
'''


def test_adding_a_rule_is_one_new_module(tmp_path: Path) -> None:
    """A family package with one rule module, put beside the built-in ones, is found and run."""
    import subprocess
    import sys

    family = tmp_path / "extra"
    family.mkdir()
    (family / "__init__.py").write_text('"""A family of one rule."""\n')
    (family / "print_call.py").write_text(_NEW_RULE)
    result = subprocess.run([sys.executable, "-c", _DRIVER, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('CRL991', 2)]"
