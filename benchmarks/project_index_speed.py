"""Benchmark: what the project-wide index (issue 18) costs. Cold and warm `check`, before and after.

    python benchmarks/project_index_speed.py BEFORE_TREE [CORPUS] [--repeat N]

BEFORE_TREE is a checkout without the index (e.g. a `git worktree` of main); the tree this
script is in is "after". The corpus (default: the running interpreter's standard library
without its tests) is linted by both, interleaved (`ab_speed.py`): cold `check --no-cache` and
warm `check` (cache filled, nothing changed), medians and the ratio. Target: cold within
1.3x, warm unchanged. Then the CPU time (user+sys, workers included) of one cold `--jobs 1`
run per tree, JSON and concise (the fairer figure on a shared machine). Then, in this process
with this tree, the index's own numbers: files summarised, files the join gives facts, phase-2
re-lints; and a warm run after editing one file: how many files each phase re-analysed (1 and 0
unless the edit changes some file's facts).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_speed import copy_corpus, timed  # noqa: E402

from cortex_racelint.api import run_files  # noqa: E402
from cortex_racelint.engine.cache import ResultCache  # noqa: E402
from cortex_racelint.ftypes import Config  # noqa: E402
from cortex_racelint.project.phase import ProjectStats  # noqa: E402

AFTER = Path(__file__).resolve().parent.parent


def _index_numbers(corpus: Path) -> None:
    paths = sorted(str(p) for p in corpus.rglob("*.py"))
    config = Config(root=corpus)
    shutil.rmtree(corpus / ".racelint_cache", ignore_errors=True)
    cold = ProjectStats()
    started = time.perf_counter()
    run_files(paths, config, fix=False, cache=ResultCache(corpus), stats=cold)
    print(f"in-process cold run: {time.perf_counter() - started:.2f}s, {cold.linted} files linted, "
          f"{cold.with_facts} with project facts, {cold.relinted} phase-2 lints")
    edited = Path(paths[len(paths) // 2])
    edited.write_text(edited.read_text() + "\n# edited\n")
    warm = ProjectStats()
    started = time.perf_counter()
    run_files(paths, config, fix=False, cache=ResultCache(corpus), stats=warm)
    print(f"after editing {edited.name}: {time.perf_counter() - started:.2f}s, {warm.linted} file(s) linted in phase 1, "
          f"{warm.relinted} in phase 2")


def cpu_seconds(tree: Path, corpus: Path, fmt: str) -> float:
    """User+system CPU of one cold `check --no-cache --jobs 1` (its workers included): on a shared
    machine a fairer figure than wall time, which other processes' load stretches."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "cortex_racelint", "check", "--exit-zero", "--no-cache", "--jobs", "1",
               "--format", fmt, str(corpus)]
    subprocess.run(command, cwd=corpus, env=dict(os.environ, PYTHONPATH=str(tree)), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("corpus", type=Path, nargs="?", default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": AFTER}
    with tempfile.TemporaryDirectory() as scratch:
        corpora = {name: copy_corpus(args.corpus, Path(scratch) / name) for name in trees}
        files = sum(1 for _ in corpora["before"].rglob("*.py"))
        samples: dict[tuple[str, str], list[float]] = {}
        for name in trees:  # fill each tree's cache once
            timed(trees[name], corpora[name])
        for _ in range(args.repeat):
            for name in trees:
                samples.setdefault(("cold", name), []).append(timed(trees[name], corpora[name], "--no-cache"))
                samples.setdefault(("warm", name), []).append(timed(trees[name], corpora[name]))
        print(f"corpus: {args.corpus} ({files} files), {args.repeat} interleaved runs each, medians")
        print(f"{'measure':<8}{'before':>10}{'after':>10}{'after/before':>14}")
        for measure in ("cold", "warm"):
            before = statistics.median(samples[(measure, "before")])
            after = statistics.median(samples[(measure, "after")])
            print(f"{measure:<8}{before:>9.2f}s{after:>9.2f}s{after / before:>13.2f}x")
        for fmt in ("json", "concise"):  # json: the fix edits too (the same code in both trees); concise: the lint alone
            cpu = {name: cpu_seconds(trees[name], corpora[name], fmt) for name in trees}
            print(f"cold --jobs 1 --format {fmt}, CPU (user+sys): {cpu['before']:.2f}s -> {cpu['after']:.2f}s, "
                  f"{cpu['after'] / cpu['before']:.2f}x (load average {os.getloadavg()[0]:.1f})")
        _index_numbers(corpora["after"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
