"""Benchmark: what the cross-module one-shot test (`project/one_shot_callers.py`) costs in a check and in a fix run.

    python benchmarks/one_shot_cost.py [CORPUS ...] [--repeat 3]

A check asks about the few functions holding a CRL301/CRL302/CRL201 finding; a fix run (no
findings yet) about every candidate, which used to read and count every word of every file
(4-8 s extra on the standard library). The names are now indexed once per run from the
summaries (`_NameIndex`): a name some module calls outside one-shot code is settled without
reading a file. Printed per corpus (default: the running interpreter's standard library):
summaries, candidates before and after the index (tests, `site-packages` and caches left out,
as `ab_speed.copy_corpus` does), the median time of

- `fix`: every candidate (`one_shot_functions(..., wanted=None)`);
- `check`: 16 candidates (the most a check's alternation handles: its worst case);
- `before`: the code before the index: every candidate counted in the text, and each name's
  explained mentions summed over every summary, name by name;

and whether the facts with and without the index are the same (they must be: the index only
drops names the text count would reject). Exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import sysconfig
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_speed import _SKIPPED  # noqa: E402

from cortex_racelint.engine.sourcefile import read_bytes  # noqa: E402
from cortex_racelint.project import one_shot_callers  # noqa: E402
from cortex_racelint.project.phase import parse_summaries  # noqa: E402


class _Before(one_shot_callers._NameIndex):
    """What the code did before the index: nothing settled in advance (every candidate counted in
    the text), and each name's explained mentions summed over every summary, name by name."""

    def __init__(self, summaries: dict) -> None:
        self.busy = set()
        self.explained = _PerName(summaries)


class _PerName(dict):
    def __init__(self, summaries: dict) -> None:
        super().__init__()
        self.summaries = summaries

    def __missing__(self, name: str) -> int:
        total = 0
        for path, summary in self.summaries.items():
            if one_shot_callers.is_test_module(path):
                continue
            total += summary.get("one_shot_calls", {}).get(name, 0)
            total += sum(1 for qual in summary.get("functions", {}) if qual.rpartition(".")[2] == name)
            for local, (_, _, imported) in summary.get("imports", {}).items():
                total += (imported == name) + (local == name and imported != name)
        return total


def _median(repeat: int, run) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(corpus: Path, repeat: int) -> bool:
    paths = sorted(str(p) for p in corpus.rglob("*.py") if not _SKIPPED & set(p.relative_to(corpus).parts[:-1]))
    summaries = parse_summaries(paths)
    called = {n for s in summaries.values() for n in s.get("one_shot_calls", {})}
    index = one_shot_callers._NameIndex(summaries)
    sample = set(sorted(called)[:16])
    fix, facts = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes))
    check, _ = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes, sample))
    with mock.patch.object(one_shot_callers, "_NameIndex", _Before):
        text, reference = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes))
    same = facts == reference
    print(
        f"{corpus}: {len(paths)} files, {len(summaries)} summaries, {len(called)} names one-shot code calls, "
        f"{len(called - index.busy)} left after the index\n"
        f"  fix {fix:.2f}s   check (16 names) {check:.2f}s   before (text only, per-name sums) {text:.2f}s   "
        f"one-shot functions: {sum(map(len, facts.values()))}, same facts: {same}"
    )
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="*", default=[Path(sysconfig.get_paths()["stdlib"])])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    return 0 if all([measure(corpus, args.repeat) for corpus in args.corpus]) else 1


if __name__ == "__main__":
    sys.exit(main())
