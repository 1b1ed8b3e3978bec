"""The `check` steps behind `--baseline`, `--write-baseline` and `--add-noqa`.

Paths in a baseline are relative to the baseline file's folder, so the same file works
whatever folder `racelint` runs from.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from ..ftypes import FileResult, Finding
from . import baseline
from .add_noqa import add_noqa_to_file


def relative_to(anchor_file: str) -> Callable[[str], str]:
    folder = Path(os.path.abspath(anchor_file)).parent

    def relative(path: str) -> str:
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(folder).as_posix()
        except ValueError:
            return Path(os.path.relpath(absolute, folder)).as_posix()

    return relative


def write_baseline(path: str, results: Sequence[FileResult], stream: Optional[TextIO] = None) -> int:
    stream = stream if stream is not None else sys.stderr
    findings = [f for r in results for f in r.findings]
    count = baseline.write(path, findings, relative_to(path))
    print(f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline {path}.", file=stream)
    return count


def apply_baseline(path: str, results: Sequence[FileResult]) -> baseline.Comparison:
    """Keep only the findings the baseline does not know (in place); mark them `new`."""
    entries = baseline.read(path)
    findings = [f for r in results for f in r.findings]
    linted = [r.path for r in results if r.error is None]
    comparison = baseline.compare(findings, entries, relative_to(path), linted_paths=linted)
    known = {id(f) for f in comparison.baselined}
    for result in results:
        result.findings = [dataclasses.replace(f, baseline_state="new") for f in result.findings if id(f) not in known]
    return comparison


def describe_baseline(path: str, comparison: baseline.Comparison, stream: Optional[TextIO] = None) -> None:
    stream = stream if stream is not None else sys.stderr
    if comparison.baselined:
        count = len(comparison.baselined)
        print(f"{count} finding{'s' if count != 1 else ''} in the baseline {path} not reported.", file=stream)
    if comparison.stale:
        print(
            f"{len(comparison.stale)} baseline entr{'ies' if len(comparison.stale) != 1 else 'y'} no longer match a finding "
            f"(fixed, or the flagged code changed): rewrite {path} with --write-baseline to shrink it:",
            file=stream,
        )
        for entry in comparison.stale[:20]:
            where = f" in {entry.symbol}" if entry.symbol else ""
            print(f"  {entry.path}{where}: {entry.code} (was line {entry.line})", file=stream)
        if len(comparison.stale) > 20:
            print(f"  ... and {len(comparison.stale) - 20} more", file=stream)


def add_noqa(results: Sequence[FileResult], stream: Optional[TextIO] = None) -> tuple[int, int]:
    """Add `# noqa: CODE` on every line with a finding; returns (lines changed, problems)."""
    stream = stream if stream is not None else sys.stderr
    added = problems = 0
    by_path: dict[str, list[Finding]] = {}
    for result in results:
        if result.findings:
            by_path.setdefault(result.path, []).extend(result.findings)
    for path, findings in sorted(by_path.items()):
        outcome = add_noqa_to_file(path, findings)
        added += outcome.added
        if outcome.error:
            problems += 1
            print(f"racelint: error: {path}: {outcome.error}", file=stream)
        for line, why in outcome.refused:
            problems += 1
            print(f"{path}:{line}: no noqa added: {why}; suppress it by hand", file=stream)
    print(f"Added {added} noqa directive{'s' if added != 1 else ''}.", file=stream)
    return added, problems
