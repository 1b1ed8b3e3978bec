"""Run a reproducer in a sandbox: a throw-away copy of the package, HOME and working dir.

The parent builds the sandbox and starts a child interpreter with a hard timeout; the
child imports the module fresh for every run, installs the barrier hook, drives the
entry point from several threads at once, and reports how many threads reached the act
and whether the barrier timed out. A timeout of the child is "not confirmed", never a
hang of racelint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .spec import NotRunnable, ReproducerSpec, insert_hold

CHILD = r'''
import builtins, importlib, json, sys
from cortex_racelint.racetest import WindowHold, run_together

spec = json.loads(sys.argv[1])
runs, threads, timeout = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, sys.argv[5])
top = spec["module"].split(".")[0]
report = []
for _ in range(runs):
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]
    hold = WindowHold(parties=threads, timeout=timeout)
    builtins.__racelint_hold__ = hold
    module = importlib.import_module(spec["module"])
    entry = spec["entry"]
    if entry.endswith("()"):
        target = getattr(module, entry[:-2])
    else:
        target = module
        for part in entry.split("."):
            target = getattr(target, part)
    run = run_together(threads, lambda _i: target())
    errors = sorted({type(e).__name__ + ": " + str(e)[:200] for e in run.errors})
    report.append({"arrivals": hold.arrivals, "timeouts": hold.timeouts, "distinct": len({id(r) for r in run.results}), "errors": errors})
print(json.dumps(report))
'''


@dataclass(frozen=True)
class RunReport:
    arrivals: int
    timeouts: int
    distinct: int
    errors: tuple[str, ...]

    @property
    def raced(self) -> bool:
        """More than one thread performed the act: the check-then-act was split."""
        return self.arrivals > 1

    @property
    def serialised(self) -> bool:
        """One thread at a time inside the window, and the hook proved it by timing out."""
        return self.arrivals == 1 and self.timeouts >= 1


def _sandbox(spec: ReproducerSpec, module_text: str, base: Path) -> Path:
    root = base / "src"
    root.mkdir()
    source = Path(spec.copy_dir)
    if source.is_dir():
        shutil.copytree(source, root / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copy(source, root / source.name)
    (root / spec.relative_file).write_text(module_text, encoding="utf-8")
    return root


def run_reproducer(
    spec: ReproducerSpec,
    module_source: Optional[str] = None,
    *,
    runs: int = 1,
    threads: int = 8,
    timeout: float = 0.5,
    process_timeout: float = 60.0,
) -> list[RunReport]:
    """Run the reproducer against the module (its original text, or `module_source`)."""
    original = Path(spec.package_root, spec.relative_file).read_text(encoding="utf-8")
    text = module_source if module_source is not None else original
    # the act is found by its text nearest its old line: a fixed file moved it
    hooked = insert_hold(text, spec.act_line, spec.act_source)
    with tempfile.TemporaryDirectory(prefix="racelint-confirm-") as temp:
        base = Path(temp)
        root = _sandbox(spec, hooked, base)
        home = base / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(spec.to_dict()), str(runs), str(threads), str(timeout), str(root)],
                cwd=home,
                env=env,
                capture_output=True,
                text=True,
                timeout=process_timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise NotRunnable(f"the reproducer did not finish within {process_timeout:.0f}s") from error
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise NotRunnable(f"importing or driving the module failed: {last}")
    return [RunReport(r["arrivals"], r["timeouts"], r["distinct"], tuple(r["errors"])) for r in json.loads(proc.stdout)]
