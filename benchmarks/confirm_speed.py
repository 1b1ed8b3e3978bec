"""Issue 19: `racelint confirm` on frontrun's DPOR against the barrier reproducer, in one run.

    .venv/bin/python benchmarks/confirm_speed.py [--skip-old] [--skip-deadlocks]

1. `confirm fixtures/cortex_legacy/`: every finding confirmed twice, by the old path (the barrier
   reproducer for every family, 20 runs, as `confirm` did before) and by the new one (frontrun where it
   can model the family, the barrier with `confirm`'s default runs elsewhere). Per finding: seconds
   (child process included), status, engine. Target: median per finding <= 1 s, no finding "not runnable"
   that frontrun can drive (CRL202 included).
2. Deadlocks: every fix-safety case (`tests/fix_safety/cases/`) whose safe fix takes a reentrant lock
   (the reentrancy analysis chose `RLock` because a plain one may be taken again by its holder) is
   certified with that lock made plain (`tests/fix_safety/plain_lock.py`). Target: each variant that
   deadlocks when the case's own drivers run is refused with the lock cycle frontrun reports (a
   precautionary RLock made plain deadlocks nowhere and is certified).

Prints Markdown. Run from the repository root with the project's venv (frontrun installed).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cortex_racelint import Config  # noqa: E402
from cortex_racelint.api import run_files  # noqa: E402
from cortex_racelint.confirm import Status, confirm_finding, missing_frontrun  # noqa: E402
from cortex_racelint.confirm.cli import BARRIER_RUNS  # noqa: E402
from cortex_racelint.confirm.models import DPOR_FAMILIES  # noqa: E402

LEGACY = REPO / "fixtures" / "cortex_legacy" / "cortex"
OLD_RUNS = 20


def legacy_findings(tree: Path) -> list:
    """Every finding of the tree, the project-wide ones (CRL404, CRL108) included: one project run, as `confirm`."""
    paths = [str(path) for path in sorted(tree.rglob("*.py"))]
    found = []
    for result in run_files(paths, Config(), fix=False, jobs=1):
        source = Path(result.path).read_bytes()
        found += [(f, source) for f in result.findings]
    return found


def measure(findings: list, engine: str, runs: int) -> list[dict]:
    rows = []
    for finding, source in findings:
        started = time.perf_counter()
        c = confirm_finding(finding, source, runs=runs, engine=engine)
        family = c.spec.family if c.spec else "-"
        rows.append({"code": finding.code, "where": f"{Path(finding.path).name}:{finding.line}", "status": c.status,
                     "engine": c.engine if c.status is not Status.NOT_RUNNABLE or c.spec else "-", "family": family,
                     "seconds": time.perf_counter() - started, "reason": c.reason})
    return rows


def summary(rows: list[dict]) -> dict:
    seconds = [r["seconds"] for r in rows]
    return {
        "median": statistics.median(seconds),
        "total": sum(seconds),
        "counts": collections.Counter(r["status"].value for r in rows),
        "not_runnable": [r for r in rows if r["status"] is Status.NOT_RUNNABLE],
    }


def print_speed(old: list[dict] | None, new: list[dict]) -> None:
    print("## `confirm fixtures/cortex_legacy/`\n")
    columns = [("old: barrier, %d runs" % OLD_RUNS, old), ("new: frontrun + barrier (%d runs)" % BARRIER_RUNS, new)]
    columns = [(name, rows) for name, rows in columns if rows is not None]
    print("| | " + " | ".join(name for name, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    stats = [summary(rows) for _, rows in columns]
    print("| findings | " + " | ".join(str(len(rows)) for _, rows in columns) + " |")
    print("| median s per finding | " + " | ".join(f"{s['median']:.2f}" for s in stats) + " |")
    print("| total s | " + " | ".join(f"{s['total']:.1f}" for s in stats) + " |")
    for status in Status:
        print(f"| {status.value} | " + " | ".join(str(s["counts"].get(status.value, 0)) for s in stats) + " |")
    if old is not None:
        print(f"\nRatio old/new, median per finding: {stats[0]['median'] / stats[1]['median']:.1f}x; "
              f"total: {stats[0]['total'] / stats[1]['total']:.1f}x\n")
    print("\n### New path per family\n")
    print("| family | engine | findings | median s | confirmed | not confirmed | not runnable |")
    print("|---|---|---|---|---|---|---|")
    groups: dict = collections.defaultdict(list)
    for row in new:
        groups[(row["family"], row["engine"])].append(row)
    for (family, engine), rows in sorted(groups.items()):
        counts = collections.Counter(r["status"] for r in rows)
        print(f"| {family} | {engine} | {len(rows)} | {statistics.median(r['seconds'] for r in rows):.2f} | "
              f"{counts[Status.CONFIRMED]} | {counts[Status.NOT_CONFIRMED]} | {counts[Status.NOT_RUNNABLE]} |")
    print("\n### New path: not runnable and not confirmed, with the reason\n")
    for row in new:
        if row["status"] is not Status.CONFIRMED:
            print(f"- {row['code']} {row['where']} ({row['engine']}): {row['status'].value}: {row['reason'][:200]}")
    drivable = [r for r in new if r["status"] is Status.NOT_RUNNABLE and r["family"] in DPOR_FAMILIES
                and "never reached" not in r["reason"] and "cannot build" not in r["reason"]]
    print(f"\nNot runnable although frontrun models the family (and the code was reached and built): {len(drivable)}")


def print_deadlocks() -> None:
    from tests.fix_safety.plain_lock import certify_variant, deadlocks, plain_lock_variants

    print("\n## Fixes that would deadlock (fix-safety cases, the chosen RLock made plain)\n")
    print("| case | deadlocks when its drivers run | finding | certificate of the plain-Lock fix | s |")
    print("|---|---|---|---|---|")
    tally: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as temp:
        for variant in plain_lock_variants():
            truth = "yes" if deadlocks(variant) else "no"
            for verdict in certify_variant(variant, Path(temp)):
                tally[(truth, verdict.kind)] += 1
                print(f"| {verdict.case} | {truth} | {verdict.code} | {verdict.message[:160]} | {verdict.seconds:.2f} |")
        shutil.rmtree(temp, ignore_errors=True)
    print("\n" + ", ".join(f"{n} {kind} (deadlocks: {truth})" for (truth, kind), n in tally.most_common()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-old", action="store_true", help="measure only the new path")
    parser.add_argument("--skip-deadlocks", action="store_true")
    args = parser.parse_args(argv)
    why = missing_frontrun()
    if why:
        print(why, file=sys.stderr)
        return 2
    findings = legacy_findings(LEGACY)
    new = measure(findings, "auto", BARRIER_RUNS)
    old = None if args.skip_old else measure(findings, "barrier", OLD_RUNS)
    print_speed(old, new)
    if not args.skip_deadlocks:
        print_deadlocks()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
