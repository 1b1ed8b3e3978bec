"""`racelint confirm` and `--certify`: static findings turned into runtime proof.

For every finding whose race window is known, build a model of it (the setup, the racing
calls, the invariant that states the rule's consequence) and explore its interleavings with
frontrun's DPOR in a child process (`dpor.py`, `models.py`); the finding is confirmed /
not confirmed / not runnable. A fix is certified when the same model, explored against the
fixed module, holds in every interleaving up to the preemption bound with no deadlock.
Families whose window is inside C code frontrun does not schedule (file writes, SQLite lock
contention, thread loops only the other side stops) keep the barrier reproducer
(`harness.py`): the window held open, several runs, the barrier timing out as the proof.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

from ..ftypes import Finding
from .build import build_spec
from .dpor import Exploration, explore_spec, missing_frontrun
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
    exploration: Optional[Exploration] = None  # set when frontrun explored the model (else the barrier ran)

    @property
    def engine(self) -> str:
        return "frontrun" if self.exploration is not None else "barrier"

    @property
    def raced_runs(self) -> int:
        return sum(1 for r in self.reports if r.raced)


def confirm_finding(finding: Finding, source: bytes, runs: int = 20, threads: int = 8, engine: str = "auto") -> Confirmation:
    """Confirm one finding: with frontrun where it can model the family (`engine="auto"`), else the barrier.

    `engine="barrier"` forces the barrier reproducer (the benchmark's old path); a family only
    frontrun can drive (CRL202) is then not runnable.
    """
    import time

    started = time.perf_counter()
    try:
        spec = build_spec(finding, source)
        exploration = explore_spec(spec, bounds=CONFIRM_BOUNDS) if engine == "auto" else None
        if exploration is not None:
            return _explored(finding, spec, exploration, time.perf_counter() - started)
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
        reason = f"{len(raced)}/{len(reports)} runs{_run_with(reports)}: {max(r.arrivals for r in reports)} threads performed the act together"
    else:
        reason = f"{len(raced)}/{len(reports)} runs{_run_with(reports)}: {(raced or reports)[0].detail}"
    if not raced:
        reason = f"0/{len(reports)} runs raced{_run_with(reports)} (the window is serialised)"
    return Confirmation(finding, status, reason, spec, reports, seconds)


#: confirm explores bound 1 first (most races show there, in a few executions), then the certificate's bound
CONFIRM_BOUNDS = (1, 2)


def _explored(finding: Finding, spec: ReproducerSpec, exploration: Exploration, seconds: float) -> Confirmation:
    """The verdict of a frontrun exploration on the original module."""
    def verdict(status: Status, reason: str) -> Confirmation:
        return Confirmation(finding, status, reason, spec, seconds=seconds, exploration=exploration)

    if exploration.deadlock:
        return verdict(Status.NOT_CONFIRMED, f"the model deadlocks before the race can show: {exploration.finding_text()}")
    if exploration.holds is False:
        return verdict(Status.CONFIRMED, exploration.finding_text())
    if not exploration.reached:
        errors = f"; it raised {exploration.errors[0]}" if exploration.errors else ""
        return verdict(Status.NOT_RUNNABLE, f"driving `{spec.function}()` with neutral arguments never reached the race{errors}")
    if exploration.holds is None:
        return verdict(Status.NOT_CONFIRMED, f"the exploration was inconclusive: {exploration.inconclusive}")
    return verdict(Status.NOT_CONFIRMED, f"not shown: {exploration.certificate()}")


def _run_with(reports: list[RunReport]) -> str:
    """`, run with fib(n=2)`: the calls the barrier runs made (what the verdict covers, not every input)."""
    driven = next((r.driven for r in reports if r.driven), "")
    return f", run with {driven}" if driven else ""


def _unreached(spec: ReproducerSpec, reports: list[RunReport]) -> str:
    """Why driving the entry point never got inside the window, as precisely as we know."""
    errors = sorted({e for r in reports for e in r.errors})
    why = f"; it raised {errors[0]}" if errors else ""
    return f"driving `{spec.function}()` with neutral arguments never reached the window at line {spec.act_line}{why}"


def certify_fix(confirmation: Confirmation, fixed_source: str, runs: int = 20, threads: int = 8) -> tuple[bool, str]:
    """Explore the confirmed finding's model against the fixed module (or rerun its barrier reproducer `runs` times).

    A deadlock in any interleaving fails the certificate with the lock cycle frontrun reports.
    """
    assert confirmation.spec is not None
    if confirmation.exploration is not None:
        return _certify_explored(confirmation.spec, fixed_source)
    try:
        reports = run_reproducer(confirmation.spec, fixed_source, runs=runs, threads=threads, timeout=0.3)
    except NotRunnable as error:
        return False, f"certificate could not run: {error}"
    good = sum(1 for r in reports if r.serialised and not r.raced and r.reached)
    if good == len(reports):
        if confirmation.spec.family == "creation":
            return True, f"certified {good}/{len(reports)}{_run_with(reports)}: one thread in the window, barrier timed out every run"
        return True, f"certified {good}/{len(reports)}{_run_with(reports)}: {reports[0].detail}"
    unreached = next((r for r in reports if not r.reached), None)
    if unreached is not None:  # a run that never reached the window proves nothing: never certified
        return False, f"certificate failed: the fixed code does not reach the window: {unreached.detail}"
    return False, f"certificate failed: {len(reports) - good}/{len(reports)} runs still raced or were not serialised"


def _certify_explored(spec: ReproducerSpec, fixed_source: str) -> tuple[bool, str]:
    """The model against the fixed module: racing with itself, then with its caller (deadlocks through callers)."""
    notes = []
    for pair in ("self", "caller") if spec.caller else ("self",):
        try:
            exploration = explore_spec(spec, fixed_source, pair=pair)
        except ReproducerTimeout as error:  # a hang may be a deadlock frontrun could not see: never certified
            return False, f"certificate failed: {error} (a hang may be a deadlock)"
        except NotRunnable as error:
            if pair == "caller":
                notes.append(f"its caller `{spec.caller}()` could not be driven: {error}")
                continue
            return False, f"certificate could not run: {error}"
        if exploration is None:
            return False, "certificate could not run: frontrun cannot model the fixed module"
        with_caller = f" (with its caller `{spec.caller}()`)" if pair == "caller" else ""
        if exploration.deadlock:
            return False, f"certificate failed: the fixed code deadlocks{with_caller} ({exploration.finding_text()})"
        if exploration.holds is False:
            return False, f"certificate failed{with_caller}: {exploration.finding_text()}"
        if exploration.holds is None or not exploration.reached:
            if pair == "caller":
                notes.append(f"its caller `{spec.caller}()` did not reach the race")
                continue
            return False, f"certificate could not run: {exploration.inconclusive or 'no execution reached the race'}"
        notes.append(exploration.certificate() + with_caller)
    return True, "certified: " + "; ".join(notes)


__all__ = ["Confirmation", "NotRunnable", "Status", "certify_fix", "confirm_finding", "missing_frontrun"]
