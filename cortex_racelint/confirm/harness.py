"""Run a reproducer in a sandbox: a throw-away copy of the package, HOME and working dir.

The parent builds the sandbox and starts a child interpreter (`child.py`) with a hard
timeout; the child imports the module fresh for every run, installs the family's hook,
drives the entry points from several threads, and reports whether the window was
reached, whether the race happened and whether the hook proved the window serialised.
A timeout of the child is "not confirmed", never a hang of racelint.
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

from .launch import light_command, scratch_dir
from .spec import NotRunnable, ReproducerSpec, insert_hold, locate_line


class ReproducerTimeout(NotRunnable):
    """The child did not finish in time: the race was not shown (never a hang of racelint)."""


@dataclass(frozen=True)
class RunReport:
    arrivals: int
    timeouts: int
    distinct: int
    errors: tuple[str, ...]
    #: the family's own verdicts (see `scenarios.py`); None in reports of older callers
    effect: Optional[bool] = None
    proof: Optional[bool] = None
    reached: bool = True
    detail: str = ""
    driven: str = ""  # the calls as the run made them (`record_finish(record_id=1, status='ok')`)

    @property
    def raced(self) -> bool:
        """The race's observable effect happened (for creation races: several threads performed the act)."""
        return self.effect if self.effect is not None else self.arrivals > 1

    @property
    def serialised(self) -> bool:
        """One thread at a time inside the window, and the hook proved it (by timing out)."""
        return self.proof if self.proof is not None else self.arrivals == 1 and self.timeouts >= 1


def sandbox(spec: ReproducerSpec, module_text: str, base: Path) -> Path:
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
    payload = spec.to_dict()
    if spec.family == "creation":
        # the act is found by its text nearest its old line: a fixed file moved it
        hooked = insert_hold(text, spec.act_line, spec.act_source)
    else:
        # runtime hooks, no edit; the window line is looked up the same way (None: anywhere in the function)
        hooked = text
        payload["window_line"] = locate_line(text, spec.act_line, spec.act_source, original)
    with tempfile.TemporaryDirectory(prefix="racelint-confirm-", dir=scratch_dir()) as temp:
        base = Path(temp)
        root = sandbox(spec, hooked, base)
        home = base / "home"
        home.mkdir()
        out = base / "reports.json"
        env = {**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.run(
                [*light_command("cortex_racelint.confirm.child"), json.dumps(payload), str(runs), str(threads), str(timeout),
                 str(root), str(out)],
                cwd=home,
                env=env,
                capture_output=True,
                text=True,
                timeout=process_timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise ReproducerTimeout(f"the reproducer did not finish within {process_timeout:.0f}s") from error
        if proc.returncode != 0 or not out.exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise NotRunnable(f"importing or driving the module failed: {last}")
        raw = json.loads(out.read_text(encoding="utf-8"))
    for report in raw:
        if "unrunnable" in report:
            raise NotRunnable(report["unrunnable"])
    return [
        RunReport(r["arrivals"], r["timeouts"], r["distinct"], tuple(r["errors"]), r.get("raced"), r.get("serialised"),
                  r.get("reached", True), r.get("detail", ""), r.get("driven", ""))
        for r in raw
    ]
