"""Benchmark: where a cold `check` spends its CPU, phase by phase, in this process.

    python benchmarks/cold_phases.py [CORPUS]

Runs `run_files` (`--jobs 1`, no cache) on the corpus (default: the running interpreter's
standard library without its tests, copied as `project_index_speed.py` copies it) with each
phase of a file's lint wrapped in a CPU timer: the `ast` parse, the project summary (and its
dead-definition names), the prefilter's facts, the narrowing, LibCST's parse, the rules' visit,
the findings (positions), and phase 2. The CLI adds ~0.5 s of start-up and discovery. Phases
nest (the summary includes the dead definitions), so the rows do not sum to the total. Use it
to find what a change should target; compare trees with `project_index_speed.py` (CPU of the
whole CLI, interleaved).
"""

from __future__ import annotations

import ast
import collections
import functools
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_speed import copy_corpus  # noqa: E402

import cortex_racelint.api as api  # noqa: E402
from cortex_racelint.engine import lint, prefilter  # noqa: E402
from cortex_racelint.ftypes import Config  # noqa: E402
from cortex_racelint.project import dead_defs  # noqa: E402

SPENT: collections.Counter = collections.Counter()


def _timed(owner: Any, name: str, label: str) -> None:
    """Replace `owner.name` by a wrapper adding its CPU time to SPENT[label]."""
    original: Callable = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.process_time() - started

    setattr(owner, name, wrapper)


def main() -> int:
    warnings.simplefilter("ignore")  # the standard library's invalid escapes
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(sysconfig.get_paths()["stdlib"])
    for owner, name, label in (
        (ast, "parse", "ast parse"),
        (lint, "build_summary", "project summary"),
        (dead_defs, "record", "  of which dead-definition names"),
        (prefilter, "ast_facts", "prefilter facts"),
        (prefilter, "narrowed_source", "narrowing"),
        (lint, "parse", "LibCST parse"),
        (lint, "run_rules", "rules"),
        (lint, "to_findings", "findings (positions)"),
        (api, "run_phase_two", "phase 2"),
    ):
        _timed(owner, name, label)
    with tempfile.TemporaryDirectory() as scratch:
        corpus = copy_corpus(source, Path(scratch) / "corpus") if len(sys.argv) < 2 else source
        paths = sorted(str(p) for p in corpus.rglob("*.py"))
        started = time.process_time()
        api.run_files(paths, Config(root=corpus), fix=False, jobs=1)
        total = time.process_time() - started
    print(f"{len(paths)} files, cold check in process: {total:.2f}s CPU")
    for label, seconds in SPENT.most_common():
        print(f"  {label:<36}{seconds:6.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
