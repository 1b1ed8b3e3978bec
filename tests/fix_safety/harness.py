"""The fix-safety harness: fix a case's module, run original and fixed in child processes, compare.

A case is `cases/<shape>.py`: the module under test above `# --- drivers ---`, its drivers below
(`single_threaded(m)`, `threaded(m)`, optional `invariant(m)`) and what racelint must do to it:

    FINDINGS = ("CRL105",)          # codes racelint must report on the module
    FIXED_IN = ("safe", "unsafe")   # the modes whose fix must change the module (others leave it alone)
    UNTOUCHED = "why"               # instead of FINDINGS/FIXED_IN: racelint must not touch it at all
    UNSAFE_DIFFERENCE = "why"       # the unsafe fix may change single-threaded output (documented)

Only the module is fixed (`fix_source`, safe, then `unsafe_fixes=True`). Every run of case code happens
in a child process (`runner.py`) under a wall-clock timeout, so a hang fails a test instead of CI.

A *multi-module* case splits the part above the drivers with `# --- module: NAME ---` lines: the modules
become the package `case_module` (`case_module/NAME.py`, relative imports between them), racelint checks and
fixes them as one project (`run_files`, so the project index joins them: cross-module fixes), and the drivers'
`m` is the package with every module imported (`m.NAME`). The text stays one string everywhere (the fixed
package is joined back with the same lines), so the tests treat both kinds alike.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.api import run_files
from cortex_racelint.project_helpers import resolve_helpers

CASES = Path(__file__).resolve().parent / "cases"
REPO = Path(__file__).resolve().parents[2]
MARKER = "# --- drivers ---"
MODULE_MARKER = re.compile(r"^# --- module: (\w+) ---\n", re.MULTILINE)
PACKAGE = "case_module"  # a multi-module case's package: the name the runner imports either kind as
MODES = ("safe", "unsafe")
WALL_CLOCK_BACKSTOP = 60.0  # seconds per child; frontrun's own budget is far smaller (runner.py)


@dataclass(frozen=True)
class Case:
    """One case file split at the marker, with its declared expectations."""

    name: str
    module: str
    drivers: str
    findings: tuple[str, ...]
    fixed_in: tuple[str, ...]
    untouched: Optional[str]
    unsafe_difference: Optional[str]


@dataclass(frozen=True)
class Run:
    """What a child process reported: the last step reached and each step's payload."""

    steps: dict[str, dict[str, Any]]
    timed_out: bool
    stderr: str

    @property
    def failure(self) -> Optional[str]:
        """Why the run did not finish every step it was asked for (None when it did)."""
        if "error" in self.steps:
            return "raised: " + self.steps["error"]["error"]
        if self.timed_out:
            reached = list(self.steps) or ["nothing"]
            return f"hung: killed after {WALL_CLOCK_BACKSTOP:.0f}s, last step done: {reached[-1]}"
        return None


def _constant(tree: ast.Module, name: str) -> Any:
    """A literal the drivers section assigns at top level (None when absent)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def load_case(path: Path) -> Case:
    """Split a case file at the marker; the drivers section must declare what racelint does to it."""
    text = path.read_text(encoding="utf-8")
    module, marker, drivers = text.partition(MARKER + "\n")
    if not marker:
        raise ValueError(f"{path.name}: no line {MARKER!r}")
    tree = ast.parse(drivers)
    case = Case(
        name=path.stem,
        module=module,
        drivers=drivers,
        findings=tuple(_constant(tree, "FINDINGS") or ()),
        fixed_in=tuple(_constant(tree, "FIXED_IN") or ()),
        untouched=_constant(tree, "UNTOUCHED"),
        unsafe_difference=_constant(tree, "UNSAFE_DIFFERENCE"),
    )
    if bool(case.untouched) == bool(case.findings):
        raise ValueError(f"{path.name}: declare FINDINGS (and FIXED_IN) or UNTOUCHED, exactly one")
    return case


def _config(unsafe: bool) -> Config:
    """As for a module of this repository, which has the helpers the fixes import (`cortex.utils`)."""
    # every fix is exercised, the opt-in ones too (CRL107 harmless lazy init, CRL403 one-way flags)
    return resolve_helpers(Config(unsafe_fixes=unsafe, extend_select=("CRL107", "CRL403")), REPO)


def all_cases() -> list[Case]:
    return [load_case(path) for path in sorted(CASES.glob("*.py"))]


def split_modules(source: str) -> Optional[dict[str, str]]:
    """NAME -> text of a multi-module case (None for one module); text before the first line is dropped."""
    parts = MODULE_MARKER.split(source)
    if len(parts) == 1:
        return None
    return dict(zip(parts[1::2], parts[2::2]))


def join_modules(modules: dict[str, str]) -> str:
    return "".join(f"# --- module: {name} ---\n{text}" for name, text in modules.items())


def write_package(folder: Path, modules: dict[str, str]) -> dict[str, Path]:
    package = folder / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    paths = {name: package / f"{name}.py" for name in modules}
    for name, text in modules.items():
        paths[name].write_text(text, encoding="utf-8")
    return paths


def project_run(modules: dict[str, str], unsafe: bool, fix: bool) -> dict[str, Any]:
    """racelint over the package as one project (phase 2: the index joins the modules): NAME -> FileResult."""
    with tempfile.TemporaryDirectory(prefix="fix_safety_project_") as folder:
        paths = write_package(Path(folder), modules)
        results = run_files([str(path) for path in paths.values()], _config(unsafe), fix=fix, jobs=1)
    by_path = {result.path: result for result in results}
    return {name: by_path[str(path)] for name, path in paths.items()}


def reported_codes(source: str) -> set[str]:
    """Codes racelint reports on the module, or on a multi-module case's package (every rule family selected)."""
    modules = split_modules(source)
    if modules is not None:
        return {finding.code for result in project_run(modules, False, False).values() for finding in result.findings}
    return {finding.code for finding in lint_source(source, "case.py", _config(False)).findings}


@functools.lru_cache(maxsize=None)
def fixed_module(source: str, mode: str) -> str:
    """The module after racelint's fix in `mode` (the original when nothing changed); a multi-module case
    is fixed as one project and joined back."""
    modules = split_modules(source)
    if modules is not None:
        fixed = {}
        for name, result in project_run(modules, mode == "unsafe", True).items():
            if result.error is not None or result.fix_error is not None:
                raise AssertionError(f"racelint could not fix {name}: {result.error or result.fix_error}")
            fixed[name] = result.new_source.decode("utf-8") if result.new_source is not None else modules[name]
        return join_modules(fixed) if fixed != modules else source
    result = fix_source(source, "case.py", _config(mode == "unsafe"))
    if result.error is not None or result.fix_error is not None:
        raise AssertionError(f"racelint could not fix the module: {result.error or result.fix_error}")
    return result.new_source.decode("utf-8") if result.new_source is not None else source


def run_variant(module: str, drivers: str, explore: bool) -> Run:
    """Run one module version with the drivers in a child process (`runner.py`) under the backstop."""
    with tempfile.TemporaryDirectory(prefix="fix_safety_") as folder:
        modules = split_modules(module)
        if modules is not None:
            write_package(Path(folder), modules)
        else:
            Path(folder, "case_module.py").write_text(module, encoding="utf-8")
        Path(folder, "case_drivers.py").write_text(drivers, encoding="utf-8")
        command = [sys.executable, "-m", "tests.fix_safety.runner", folder] + (["--explore"] if explore else [])
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(
                command, cwd=folder, env=env, capture_output=True, text=True, timeout=WALL_CLOCK_BACKSTOP
            )
            out, err, timed_out = done.stdout, done.stderr, False
        except subprocess.TimeoutExpired as expired:
            out, err, timed_out = _text(expired.stdout), _text(expired.stderr), True
    steps = {}
    for line in out.splitlines():
        if line.startswith('{"step"'):
            record = json.loads(line)
            steps[record.pop("step")] = record
    return Run(steps=steps, timed_out=timed_out, stderr=err[-2000:])


def _text(data: bytes | str | None) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")


@functools.lru_cache(maxsize=None)
def original_run(case: Case) -> Run:
    """The unfixed module's single-threaded behaviour: the reference every fix must keep."""
    return run_variant(case.module, case.drivers, explore=False)
