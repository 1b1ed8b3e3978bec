"""Benchmark: is one racelint source tree as fast as another? An interleaved A/B of the CLI.

    python benchmarks/ab_speed.py BEFORE_TREE AFTER_TREE [CORPUS] [--repeat N]

Each tree is a checkout (a folder holding `cortex_racelint/`), e.g. a `git worktree` of the
commit before a refactor and the working copy. The corpus (default: the running interpreter's
standard library without its tests) is copied once per tree into a temporary folder with an
empty `pyproject.toml`, so no outer configuration applies and each tree's cache is its own.
Runs alternate A, B, A, B... so that a machine getting busier or quieter affects both alike.

Measured per tree: cold `check --no-cache` and warm `check` (cache filled, nothing changed);
the median wall time of `--repeat` runs and the ratio AFTER / BEFORE. Printed as a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

_SKIPPED = {"test", "tests", "idle_test", "site-packages", "__pycache__"}


def copy_corpus(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=lambda _, names: [n for n in names if n in _SKIPPED or not (n.endswith(".py") or "." not in n)])
    (destination / "pyproject.toml").write_text("")
    return destination


def timed(tree: Path, corpus: Path, *arguments: str) -> float:
    command = [sys.executable, "-m", "cortex_racelint", "check", "--exit-zero", "--format", "json", *arguments, str(corpus)]
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=corpus, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1) or b"Traceback" in result.stderr:
        raise SystemExit(f"racelint from {tree} failed:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("corpus", type=Path, nargs="?", default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
