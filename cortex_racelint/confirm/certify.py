"""`racelint check --fix --certify`: only fixes that their race model certified are written.

For each file about to be rewritten, every finding whose fix was applied is confirmed on the
original (frontrun's DPOR on the finding's model, or the barrier reproducer where frontrun cannot
see the race; see docs/CONFIRM.md). A confirmed finding's fix is certified when the same model,
explored against the text about to be written, shows no race and no deadlock in every
interleaving up to the preemption bound (with its caller too), or when the barrier reproducer,
rerun N times, shows the window serialised every run. A fix whose model deadlocks is never
written: the message carries the lock cycle. Every other fix is withheld: a finding with no reproducer for its rule,
one that could not be confirmed (not runnable, or it did not race), and one whose certificate
failed. Withholding is done by refixing the original with those findings suppressed (a marker
`# racelint: ignore[...]` on their lines, removed again from the result), so the written text
is exactly what was certified: certificates are rerun on it until no more fixes drop out.

Fixes that a certified fix itself exposes in a later round (the re-check behind a hoisted
lock, a read of the file a write now locks) are written with it: they are not findings of the
original and have no reproducer of their own.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..engine.lint import lint_source
from ..engine.suppressions import SuppressionTable
from ..ftypes import Config, FileResult, Finding, FixApplicability
from . import Confirmation, Status, certify_fix, confirm_finding, missing_frontrun
from .families import FAMILIES
from .spec import CREATION_RACES

CONFIRMABLE = CREATION_RACES + tuple(FAMILIES)
__all__ = ["certify_results", "missing_frontrun"]
#: certificates run side by side: each is a child process that mostly waits on its hold
JOBS = min(4, os.cpu_count() or 1)
#: refix rounds: each round withholds the fixes whose certificate failed on the previous text
MAX_ROUNDS = 3
_MARKER = "racelint-certify-withheld"


@dataclass
class _Ledger:
    """What happened to each applied fix of one file, in the order it was decided."""

    confirmations: dict[int, Confirmation] = field(default_factory=dict)
    withheld: dict[int, str] = field(default_factory=dict)  # finding index -> why
    certified: dict[int, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def _applied(finding: Finding, config: Config) -> bool:
    """Whether this run's fix loop applies the finding's fix."""
    if finding.fix_applicability is FixApplicability.SAFE:
        return True
    return finding.fix_applicability is FixApplicability.UNSAFE and config.unsafe_fixes


def _marked(source: bytes, findings: Sequence[Finding]) -> Optional[bytes]:
    """The source with each finding's line suppressed for its code; None if that cannot be done exactly."""
    text = source.decode("utf-8")
    lines = text.splitlines(keepends=True)
    codes: dict[int, set[str]] = {}
    for finding in findings:
        codes.setdefault(finding.line, set()).add(finding.code)
    for number, line_codes in codes.items():
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        if body.endswith("\\"):
            return None  # a comment cannot follow a line continuation
        ending = line[len(body) :]
        lines[number - 1] = f"{body}  # racelint: ignore[{','.join(sorted(line_codes))}] {_MARKER}{ending}"
    marked = "".join(lines)
    table = SuppressionTable(marked)  # a line that ends inside a string would not carry the comment
    if not all(table.suppresses(f.code, f.line) for f in findings):
        return None
    return marked.encode("utf-8")


def _unmarked(fixed: bytes) -> Optional[bytes]:
    """Remove the markers from the fixed text; None if one was moved where it cannot be removed exactly."""
    text = fixed.decode("utf-8")
    out = []
    for line in text.splitlines(keepends=True):
        if _MARKER in line:
            body = line.rstrip("\r\n")
            start = body.rfind("  # racelint: ignore[")
            if start < 0 or not body.endswith(_MARKER):
                return None
            line = body[:start] + line[len(body) :]
        out.append(line)
    return "".join(out).encode("utf-8")


def _refix(result: FileResult, config: Config, relative: str, withheld: Sequence[Finding]) -> tuple[Optional[bytes], int]:
    """(the original fixed with `withheld` suppressed, fixes applied); (None, 0) when it cannot be done exactly."""
    from ..engine.fixer import fix_source  # imported on use, as the CLI does

    assert result.old_source is not None
    source = _marked(result.old_source, withheld) if withheld else result.old_source
    if source is None:
        return None, 0
    fixed = fix_source(source, result.path, config, relative)
    if fixed.error or fixed.fix_error:
        return None, 0
    if fixed.new_source is None:
        return result.old_source, 0
    text = _unmarked(fixed.new_source) if withheld else fixed.new_source
    return text, fixed.fixed_count


def _confirm(findings: Sequence[Finding], old_source: bytes) -> list[Confirmation]:
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return list(pool.map(lambda f: confirm_finding(f, old_source, runs=1), findings))


def _certify(confirmations: Sequence[Confirmation], text: bytes, runs: int) -> list[tuple[bool, str]]:
    decoded = text.decode("utf-8")
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return list(pool.map(lambda c: certify_fix(c, decoded, runs=runs), confirmations))


def certify_file(result: FileResult, config: Config, relative: str, runs: int) -> _Ledger:
    """Certify one file's fixes and leave in `result.new_source` only the certified ones."""
    assert result.old_source is not None
    ledger = _Ledger()
    original = lint_source(result.old_source, result.path, config, relative)
    applied = [f for f in original.findings if _applied(f, config)]
    to_confirm = []
    for index, finding in enumerate(applied):
        if finding.code not in CONFIRMABLE:
            ledger.withheld[index] = f"not certified ({finding.code} has no race reproducer)"
        else:
            to_confirm.append(index)
    for index, confirmation in zip(to_confirm, _confirm([applied[i] for i in to_confirm], result.old_source)):
        if confirmation.status is Status.CONFIRMED:
            ledger.confirmations[index] = confirmation
        else:
            ledger.withheld[index] = f"not certified ({confirmation.status.value}: {confirmation.reason})"
    text: Optional[bytes] = None
    fixed_count = 0
    for _ in range(MAX_ROUNDS):
        text, fixed_count = _refix(result, config, relative, [applied[i] for i in sorted(ledger.withheld)])
        pending = [i for i in ledger.confirmations if i not in ledger.withheld]
        if text is None or not pending:
            break
        failures = 0
        for index, (ok, message) in zip(pending, _certify([ledger.confirmations[i] for i in pending], text, runs)):
            if ok:
                ledger.certified[index] = message
            else:
                ledger.certified.pop(index, None)
                ledger.withheld[index] = f"withheld: {message}"
                ledger.failed.append(f"{applied[index].code} at line {applied[index].line}: {message}")
                failures += 1
        if not failures:
            break
    else:
        text = None  # certificates kept failing: write nothing rather than an uncertified text
    _settle(result, text, fixed_count, ledger, applied, config, relative)
    return ledger


def _settle(
    result: FileResult, text: Optional[bytes], fixed_count: int, ledger: _Ledger, applied: list[Finding], config: Config, relative: str
) -> None:
    """Report each fix's certificate, keep only the certified text, and lint what will be on disk."""
    for index, finding in enumerate(applied):
        message = ledger.certified.get(index) or ledger.withheld.get(index) or "not certified (its refix was not written)"
        print(f"{finding.path}:{finding.line}: {finding.code} {message}", file=sys.stderr)
    if text is None or not ledger.certified:
        text = None
    if text is None or text == result.old_source:
        result.new_source = None
        result.fixed_count = 0
    else:
        result.new_source = text
        result.fixed_count = fixed_count
    if ledger.failed:
        result.fix_error = "fix withheld: certificate failed (" + "; ".join(ledger.failed) + ")"
    on_disk = result.new_source if result.new_source is not None else result.old_source
    assert on_disk is not None
    result.findings = lint_source(on_disk, result.path, config, relative).findings


def certify_results(results: Sequence[FileResult], config: Config, runs: int = 20) -> None:
    """Certify every file about to be rewritten (see the module docstring)."""
    from ..api import relative_path

    from ..project.join import join
    from ..project.phase import parse_summaries
    from ..project.standalone import with_facts

    # the project rules (CRL404, CRL108) need the index's facts to find again what the fix loop fixed:
    # a single-file lint of the original would see no finding and silently drop their fixes
    facts = join(parse_summaries([result.path for result in results], config))
    for result in results:
        if result.new_source is None or result.old_source is None:
            continue
        own = facts.get(result.path)
        file_config = with_facts(config, own) if own else config
        certify_file(result, file_config, relative_path(result.path, config), runs)
