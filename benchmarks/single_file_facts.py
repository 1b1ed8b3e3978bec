"""Benchmark: what the project facts cost a file linted on its own (flake8, the language server).

    python benchmarks/single_file_facts.py [CORPUS ...] [--no-warm]

Per corpus (default: the running interpreter's standard library, copied to a temporary folder
so its cache lands there; also try `fixtures/cortex_legacy`), in this process:

- `alone`: `lint_source` of one file, a project of one module (before);
- `cold, first file`: `lint_in_project` of the same file with no cache: discover the project,
  parse every file's summary, join, lint (what a flake8 worker pays once);
- `cold, next file`: another file in the same process (summaries kept: a stat per file);
- `warm, first file`: a fresh process state after `racelint check` filled the cache: summaries
  read from the cache rows, no parsing (skipped with `--no-warm`, which saves the full check).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_speed import copy_corpus  # noqa: E402

from cortex_racelint.engine.lint import lint_source  # noqa: E402
from cortex_racelint.ftypes import Config  # noqa: E402
from cortex_racelint.project import single_file  # noqa: E402


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(source: Path, warm: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        corpus = copy_corpus(source, Path(scratch) / source.name)
        paths = sorted(str(p) for p in corpus.rglob("*.py"))
        packaged = [p for p in paths if (Path(p).parent / "__init__.py").is_file()]  # a script alone has no project
        first, second = packaged[len(packaged) // 2], packaged[len(packaged) // 3]
        config = Config()
        lint_source(Path(second).read_bytes(), second, config)  # imports and first-use costs out of the way
        rows = [("alone", _timed(lambda: lint_source(Path(first).read_bytes(), first, config)))]
        single_file._PROJECTS = single_file.ProjectFacts()
        rows.append(("cold, first file", _timed(lambda: single_file.lint_in_project(Path(first).read_bytes(), first, config))))
        rows.append(("cold, next file", _timed(lambda: single_file.lint_in_project(Path(second).read_bytes(), second, config))))
        stats = single_file.project_stats(first)
        if warm:
            command = [sys.executable, "-m", "cortex_racelint", "check", "--exit-zero", "--format", "json", "."]
            check = _timed(lambda: subprocess.run(command, cwd=corpus, stdout=subprocess.DEVNULL, check=True))
            single_file._PROJECTS = single_file.ProjectFacts()
            rows.append(("warm, first file", _timed(lambda: single_file.lint_in_project(Path(first).read_bytes(), first, config))))
            warm_stats = single_file.project_stats(first)
        print(f"\n{source}: {len(paths)} files; project of {stats.files} files, {stats.parsed} parsed cold"
              + (f"; {warm_stats.from_cache} from the cache warm (`racelint check` filling it: {check:.1f}s)" if warm else ""))
        print("| case | seconds |\n|---|---:|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} |")
        shutil.rmtree(corpus, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="*", default=[Path(sysconfig.get_paths()["stdlib"])])
    parser.add_argument("--no-warm", action="store_true")
    args = parser.parse_args()
    for corpus in args.corpus:
        measure(corpus, not args.no_warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
