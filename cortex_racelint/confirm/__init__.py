"""`racelint confirm` and `--certify`: static findings turned into runtime proof.

For every finding whose race window is known, build a reproducer that holds the window
open with a barrier (see `racetest.py`), run it in a sandbox, and classify the finding
as confirmed / not confirmed / not runnable. A fix is certified when the same
reproducer, run against the fixed module, passes every time with the barrier timing out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

from ..ftypes import Finding
from .build import build_spec
from .harness import ReproducerTimeout, RunReport, run_reproducer
from .spec import NotRunnable, ReproducerSpec


class Status(str, enum.Enum):
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not confirmed"
    NOT_RUNNABLE = "not runnable"


@dataclass
class Confirmation:
    finding: Finding
    status: Status
    reason: str = ""
    spec: Optional[ReproducerSpec] = None
    reports: list[RunReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def raced_runs(self) -> int:
        return sum(1 for r in self.reports if r.raced)


def confirm_finding(finding: Finding, source: bytes, runs: int = 20, threads: int = 8) -> Confirmation:
    import time

    started = time.perf_counter()
    try:
        spec = build_spec(finding, source)
        reports = run_reproducer(spec, runs=runs, threads=threads, timeout=1.0)
    except ReproducerTimeout as error:
        return Confirmation(finding, Status.NOT_CONFIRMED, str(error), spec, seconds=time.perf_counter() - started)
    except NotRunnable as error:
        return Confirmation(finding, Status.NOT_RUNNABLE, str(error), seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if spec.family != "creation" and not any(r.reached for r in reports):
        return Confirmation(finding, Status.NOT_RUNNABLE, _unreached(spec, reports), spec, reports, seconds)
    raced = [r for r in reports if r.raced]
    status = Status.CONFIRMED if raced else Status.NOT_CONFIRMED
    if spec.family == "creation":
        reason = f"{len(raced)}/{len(reports)} runs: {max(r.arrivals for r in reports)} threads performed the act together"
    else:
        reason = f"{len(raced)}/{len(reports)} runs: {(raced or reports)[0].detail}"
    if not raced:
        reason = f"0/{len(reports)} runs raced (the window is serialised)"
    return Confirmation(finding, status, reason, spec, reports, seconds)


def _unreached(spec: ReproducerSpec, reports: list[RunReport]) -> str:
    """Why driving the entry point never got inside the window, as precisely as we know."""
    errors = sorted({e for r in reports for e in r.errors})
    why = f"; it raised {errors[0]}" if errors else ""
    return f"driving `{spec.function}()` with neutral arguments never reached the window at line {spec.act_line}{why}"


def certify_fix(confirmation: Confirmation, fixed_source: str, runs: int = 20, threads: int = 8) -> tuple[bool, str]:
    """Rerun a confirmed finding's reproducer against the fixed module `runs` times."""
    assert confirmation.spec is not None
    try:
        reports = run_reproducer(confirmation.spec, fixed_source, runs=runs, threads=threads, timeout=0.3)
    except NotRunnable as error:
        return False, f"certificate could not run: {error}"
    good = sum(1 for r in reports if r.serialised and not r.raced and r.reached)
    if good == len(reports):
        if confirmation.spec.family == "creation":
            return True, f"certified {good}/{len(reports)}: one thread in the window, barrier timed out every run"
        return True, f"certified {good}/{len(reports)}: {reports[0].detail}"
    return False, f"certificate failed: {len(reports) - good}/{len(reports)} runs still raced or were not serialised"


__all__ = ["Confirmation", "NotRunnable", "Status", "certify_fix", "confirm_finding"]
