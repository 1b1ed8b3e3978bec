"""`racelint check --fix --certify`: a fix is written only if its race reproducer passes.

For each file about to be rewritten, the findings of the original are confirmed with
their reproducers; each confirmed one is rerun against the fixed text N times, and must
show the race gone with the window proven serialised (one thread inside and the hold
timing out, or the fixed code waiting out the lock holder), every run. A file with a
failed certificate is not written, and the reason is reported (exit 2).
"""

from __future__ import annotations

import sys
from typing import Sequence

from ..engine import lint_source
from ..ftypes import Config, FileResult
from . import Status, certify_fix, confirm_finding
from .families import FAMILIES
from .spec import CREATION_RACES

CONFIRMABLE = CREATION_RACES + tuple(FAMILIES)


def certify_results(results: Sequence[FileResult], config: Config, runs: int = 20) -> None:
    for result in results:
        if result.new_source is None or result.old_source is None:
            continue
        original = lint_source(result.old_source, result.path, config)
        fixed_text = result.new_source.decode("utf-8")
        for finding in original.findings:
            if finding.code not in CONFIRMABLE:
                continue
            confirmation = confirm_finding(finding, result.old_source, runs=1)
            where = f"{finding.path}:{finding.line}: {finding.code}"
            if confirmation.status is not Status.CONFIRMED:
                print(f"{where} not certified ({confirmation.status.value}: {confirmation.reason})", file=sys.stderr)
                continue
            ok, message = certify_fix(confirmation, fixed_text, runs=runs)
            print(f"{where} {message}", file=sys.stderr)
            if not ok:
                result.new_source = None
                result.fix_error = f"fix reverted: {message} ({finding.code} at line {finding.line})"
                break
