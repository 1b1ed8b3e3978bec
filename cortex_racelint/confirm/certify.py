"""`racelint check --fix --certify`: a fix is written only if its race reproducer passes.

For each file about to be rewritten, the findings of the original are confirmed with
their reproducers; each confirmed one is rerun against the fixed text N times, and must
show the race gone with the window proven serialised (one thread inside and the hold
timing out, or the fixed code waiting out the lock holder), every run. A file with a
failed certificate is not written, and the reason is reported (exit 2).
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

from ..engine.lint import lint_source
from ..ftypes import Config, FileResult, Finding
from . import Status, certify_fix, confirm_finding
from .families import FAMILIES
from .spec import CREATION_RACES

CONFIRMABLE = CREATION_RACES + tuple(FAMILIES)
#: certificates run side by side: each is a child process that mostly waits on its hold
JOBS = min(4, os.cpu_count() or 1)


def _certificate(finding: Finding, old_source: bytes, fixed_text: str, runs: int) -> tuple[Optional[bool], str]:
    """(passed, message); passed is None when the finding could not be confirmed first."""
    confirmation = confirm_finding(finding, old_source, runs=1)
    if confirmation.status is not Status.CONFIRMED:
        return None, f"not certified ({confirmation.status.value}: {confirmation.reason})"
    return certify_fix(confirmation, fixed_text, runs=runs)


def certify_results(results: Sequence[FileResult], config: Config, runs: int = 20) -> None:
    for result in results:
        if result.new_source is None or result.old_source is None:
            continue
        original = lint_source(result.old_source, result.path, config)
        fixed_text = result.new_source.decode("utf-8")
        findings = [f for f in original.findings if f.code in CONFIRMABLE]
        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            outcomes = list(pool.map(lambda f: _certificate(f, result.old_source, fixed_text, runs), findings))
        for finding, (ok, message) in zip(findings, outcomes):
            print(f"{finding.path}:{finding.line}: {finding.code} {message}", file=sys.stderr)
            if ok is False:
                result.new_source = None
                result.fix_error = f"fix reverted: {message} ({finding.code} at line {finding.line})"
                break
