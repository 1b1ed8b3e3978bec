"""Benchmark: what the cross-module one-shot test (`project/one_shot_callers.py`) costs in a check and in a fix run.

    python benchmarks/one_shot_cost.py [CORPUS ...] [--repeat 3]

A check asks about the few functions holding a CRL301/CRL302/CRL201 finding; a fix run (no
findings yet) about every candidate, which used to read and count every word of every file
(4-8 s extra on the standard library). The names are now indexed once per run from the
summaries (`_NameIndex`): a name some module calls outside one-shot code is settled without
reading a file. Printed per corpus (default: the running interpreter's standard library):
summaries, candidates before and after the index, the median time of

- `fix`: every candidate (`one_shot_functions(..., wanted=None)`);
- `check`: 16 candidates (the most a check's alternation handles: its worst case);
- `fix, text only`: every candidate counted in the text, the index switched off (before);

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cortex_racelint.engine.sourcefile import read_bytes  # noqa: E402
from cortex_racelint.project import one_shot_callers  # noqa: E402
from cortex_racelint.project.phase import parse_summaries  # noqa: E402


class _NoIndex(one_shot_callers._NameIndex):
    """The index with nothing settled in advance: every candidate is counted in the text."""

    def __init__(self, summaries: dict) -> None:
        super().__init__(summaries)
        self.busy = set()


def _median(repeat: int, run) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(corpus: Path, repeat: int) -> bool:
    paths = sorted(str(p) for p in corpus.rglob("*.py"))
    summaries = parse_summaries(paths)
    called = {n for s in summaries.values() for n in s.get("one_shot_calls", {})}
    index = one_shot_callers._NameIndex(summaries)
    sample = set(sorted(called)[:16])
    fix, facts = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes))
    check, _ = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes, sample))
    with mock.patch.object(one_shot_callers, "_NameIndex", _NoIndex):
        text, reference = _median(repeat, lambda: one_shot_callers.one_shot_functions(summaries, paths, read_bytes))
    same = facts == reference
    print(
        f"{corpus}: {len(paths)} files, {len(summaries)} summaries, {len(called)} names one-shot code calls, "
        f"{len(called - index.busy)} left after the index\n"
        f"  fix {fix:.2f}s   check (16 names) {check:.2f}s   fix, text only (before) {text:.2f}s   "
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
