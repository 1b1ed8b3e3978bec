"""`racelint confirm PATH [--select CODES] [--emit-tests DIR] [--runs N] [--format ...]`."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..api import run_files
from ..config import ConfigError, load_config, with_overrides
from ..engine.discovery import discover
from ..terminal import Progress
from . import Confirmation, Status, confirm_finding, missing_frontrun
from .emit import emit_test

#: the barrier reproducer holds its window open, so the race shows on every run: a few runs show it repeats
BARRIER_RUNS = 3


def _at_least(minimum: int, why: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (`--runs 0` is a usage error, not a traceback)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: at least {minimum} ({why})")
        return number

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="racelint confirm", description="Prove findings with deterministic reproducers.")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--select", type=lambda v: tuple(c.strip().upper() for c in v.split(",") if c.strip()))
    parser.add_argument(
        "--runs", type=_at_least(1, "a run proves or disproves"), default=BARRIER_RUNS,
        help=f"runs per barrier reproducer (default {BARRIER_RUNS}); frontrun explores instead of repeating",
    )
    parser.add_argument(
        "--threads", type=_at_least(2, "a race needs two threads"), default=8, help="threads per run (default 8)"
    )
    parser.add_argument("-q", "--quiet", action="count", default=0, help="no progress line or summary")
    parser.add_argument("-v", "--verbose", action="store_true", help="accepted for symmetry with `check`")
    parser.add_argument("--emit-tests", type=Path, help="write each reproducer as a pytest file in this folder")
    parser.add_argument("--format", choices=("concise", "json"), default="concise")
    return parser


def confirm_paths(
    paths: Sequence[str],
    select: Optional[tuple[str, ...]],
    runs: int,
    threads: int,
    progress: bool = False,
    engine: str = "auto",
) -> list[Confirmation]:
    """Confirm every finding under `paths`; `progress` shows one line per finding on a terminal's stderr."""
    config = load_config(Path(paths[0]) if Path(paths[0]).exists() else Path.cwd())
    config = with_overrides(config, select=select)
    files = list(discover(paths, config.exclude + config.extend_exclude, config.root))
    results = run_files(files, config, fix=False, jobs=1)
    confirmations = []
    # a reproducer takes seconds: the line shows from the first finding on
    line = Progress(sum(len(r.findings) for r in results), "confirming", sys.stderr, enabled=progress, after=0.0)
    try:
        for result in results:
            if not result.findings:
                continue
            source = Path(result.path).read_bytes()
            for finding in result.findings:
                line.advance(0, f"{finding.code} {finding.path}:{finding.line}")
                confirmations.append(confirm_finding(finding, source, runs=runs, threads=threads, engine=engine))
                line.advance(1)
    finally:
        line.close()
    return confirmations


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    missing = [path for path in args.paths if not Path(path).exists()]
    for path in missing:  # as `check`: a path, not a place in a file
        print(f"racelint: error: {path}: no such file or directory", file=sys.stderr)
    if args.emit_tests is not None and args.emit_tests.exists() and not args.emit_tests.is_dir():
        print(f"racelint: error: --emit-tests {args.emit_tests}: not a folder", file=sys.stderr)
        return 2
    if missing:
        return 2
    unavailable = missing_frontrun()
    if unavailable:
        # never a verdict from half the machinery: frontrun explores most families
        print(f"racelint: error: `racelint confirm` needs frontrun: {unavailable}", file=sys.stderr)
        return 2
    try:
        confirmations = confirm_paths(args.paths, args.select, args.runs, args.threads, progress=args.quiet == 0)
    except ConfigError as error:
        print(f"racelint: error: {error}", file=sys.stderr)
        return 2
    emitted: dict[int, Path] = {}
    if args.emit_tests is not None:
        args.emit_tests.mkdir(parents=True, exist_ok=True)
        for index, confirmation in enumerate(confirmations):
            if confirmation.spec is not None and confirmation.status is not Status.NOT_RUNNABLE:
                emitted[index] = emit_test(confirmation, args.emit_tests)
    if args.format == "json":
        print(json.dumps([_as_json(c, emitted.get(i)) for i, c in enumerate(confirmations)], indent=2))
    else:
        for index, c in enumerate(confirmations):
            f = c.finding
            where = f" -> {emitted[index]}" if index in emitted else ""
            exposure = f" [{f.window.exposure.value}]" if f.window else ""
            print(f"{f.path}:{f.line}:{f.column + 1}: {f.code} {c.status.value}{exposure}: {c.reason}{where}")
        timed = [c.seconds for c in confirmations if c.status is not Status.NOT_RUNNABLE]
        counts = {s: sum(1 for c in confirmations if c.status is s) for s in Status}
        summary = ", ".join(f"{n} {s.value}" for s, n in counts.items())
        cost = f"; cost per finding median {statistics.median(timed):.2f}s, max {max(timed):.2f}s" if timed else ""
        if not args.quiet:
            print(f"{len(confirmations)} findings: {summary}{cost}", file=sys.stderr)
    return 1 if any(c.status is Status.CONFIRMED for c in confirmations) else 0


def _as_json(c: Confirmation, emitted: Optional[Path]) -> dict:
    f = c.finding
    return {
        "code": f.code,
        "filename": str(Path(f.path).resolve()),
        "location": {"row": f.line, "column": f.column + 1},
        "status": c.status.value,
        "reason": c.reason,
        "gil_exposure": f.window.exposure.value if f.window else None,
        "engine": c.engine,
        "runs": len(c.reports),
        "raced_runs": c.raced_runs,
        "explored": c.exploration.explored if c.exploration else None,
        "deadlock": c.exploration.deadlock if c.exploration else None,
        "reproducer": str(emitted) if emitted else None,
        "seconds": round(c.seconds, 3),
    }
