"""Explore a finding's model with frontrun's DPOR in a child process; the verdict and its certificate.

The parent builds the same sandbox as the barrier harness (a throw-away copy of the package,
HOME and working directory), inserts the test-only act counter for creation races, and starts
`dpor_child.py` with a wall-clock backstop. frontrun is an optional dependency
(`cortex-racelint[confirm]`): without it, `missing_frontrun()` says so and nothing is explored.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .harness import ReproducerTimeout, sandbox
from .launch import light_command, scratch_dir
from .models import ACT, DPOR_FAMILIES
from .spec import NotRunnable, ReproducerSpec, insert_hold

FRONTRUN_VERSION = "0.7.0"
INSTALL_HINT = "install cortex-racelint[confirm] (frontrun==%s)" % FRONTRUN_VERSION
PREEMPTION_BOUND = 2
MAX_EXECUTIONS = 200
DEADLOCK_TIMEOUT = 1.0
BUDGET = 20.0  # seconds of exploration per model; the child is killed at BUDGET + BACKSTOP
BACKSTOP = 15.0


def missing_frontrun() -> Optional[str]:
    """Why frontrun cannot be used here (not installed, another version), or None."""
    try:
        version = importlib.metadata.version("frontrun")
    except importlib.metadata.PackageNotFoundError:
        return f"frontrun is not installed: {INSTALL_HINT}"
    if version != FRONTRUN_VERSION:
        return f"frontrun {version} is installed, racelint is tested with {FRONTRUN_VERSION}: {INSTALL_HINT}"
    return None


@dataclass(frozen=True)
class Exploration:
    """frontrun's verdict on one model; `holds` is True (proven to the bound), False (violated) or None."""

    holds: Optional[bool]
    explored: int = 0
    bound: int = PREEMPTION_BOUND
    max_executions: int = MAX_EXECUTIONS
    budget: float = BUDGET
    explanation: str = ""
    inconclusive: str = ""
    deadlock: str = ""
    reached: bool = False
    errors: tuple[str, ...] = ()
    violated: str = ""
    proven: str = ""
    detail: str = ""
    counterexample: tuple[int, ...] = ()
    seconds: float = 0.0
    arguments: str = ""  # the racing call as driven (`fib(n=2)`): what the verdict covers

    @property
    def exhausted(self) -> bool:
        """Every interleaving up to the bound was explored (the execution budget did not cut it short)."""
        return self.explored < self.max_executions and self.seconds < self.budget

    def finding_text(self) -> str:
        """What a violation shows, for `confirm`."""
        if self.deadlock:
            return f"deadlock after {self.explored} interleaving(s){self.driven}: {self.deadlock}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"frontrun found it after {self.explored} interleaving(s){self.driven}: {self.violated}{detail}"

    @property
    def driven(self) -> str:
        """` with fib(n=2)`: the inputs the exploration covered (not every input)."""
        return f", explored with {self.arguments}" if self.arguments else ""

    def certificate(self) -> str:
        """What a passing exploration proved, in words a reader can check."""
        if self.exhausted:
            scope = f"in every interleaving up to preemption bound {self.bound} ({self.explored} executions)"
        else:
            scope = f"in the {self.explored} schedules sampled (the budget ended before bound {self.bound} was covered)"
        return f"no race and no deadlock {scope}{self.driven}: {self.proven}"


def model_text(spec: ReproducerSpec, text: str) -> str:
    """The module as the child runs it: creation races get the act counter before the act."""
    if spec.family == "creation":
        return insert_hold(text, spec.act_line, spec.act_source, call=ACT)
    return text


def explore_spec(spec: ReproducerSpec, module_source: Optional[str] = None, *, bounds: tuple[int, ...] = (PREEMPTION_BOUND,),
                 max_executions: int = MAX_EXECUTIONS, budget: Optional[float] = None, search: Optional[str] = None, pair: str = "self") -> Optional[Exploration]:
    """Explore `spec` against the module (its original text, or `module_source`); None if frontrun cannot model it.

    `bounds` are explored in turn until one shows a violation: `confirm` starts low (cheap, and a
    counterexample at any bound is one), a certificate explores the full bound it states.
    `pair="caller"` races the function with its caller (`spec.caller`) instead of with itself.
    """
    if spec.family not in DPOR_FAMILIES:
        return None
    why = missing_frontrun()
    if why:
        raise NotRunnable(why)
    original = Path(spec.package_root, spec.relative_file).read_text(encoding="utf-8")
    text = model_text(spec, module_source if module_source is not None else original)
    budget = BUDGET if budget is None else budget
    options = {"bounds": list(bounds), "max_executions": max_executions, "deadlock_timeout": DEADLOCK_TIMEOUT, "budget": budget, "search": search, "pair": pair}
    with tempfile.TemporaryDirectory(prefix="racelint-dpor-", dir=scratch_dir()) as temp:
        base = Path(temp)
        root = sandbox(spec, text, base)
        home = base / "home"
        home.mkdir()
        out = base / "verdict.json"
        env = {**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.run(
                [*light_command("cortex_racelint.confirm.dpor_child"), json.dumps(spec.to_dict()), str(root),
                 str(out), json.dumps(options)],
                cwd=home, env=env, capture_output=True, text=True, timeout=budget + BACKSTOP,
            )
        except subprocess.TimeoutExpired as error:
            raise ReproducerTimeout(f"the exploration did not finish within {budget + BACKSTOP:.0f}s") from error
        if not out.exists():
            last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            raise NotRunnable(f"importing or exploring the module failed: {last}")
        raw = json.loads(out.read_text(encoding="utf-8"))
    if "nomodel" in raw:
        return None
    if "unrunnable" in raw:
        raise NotRunnable(raw["unrunnable"])
    raw["errors"] = tuple(raw.get("errors", ()))
    raw["counterexample"] = tuple(raw.get("counterexample", ()))
    return Exploration(**raw)
