"""Benchmark: how fast is racelint against flake8, Ruff, Fixit and the parsers it builds on?

Issue 7's targets, measured over one corpus in one run so the ratios compare like with like:

    python benchmarks/lint_speed.py [CORPUS ...] [--repeat N] [--jobs N] [--quick]

* corpus: files or directories; default the running interpreter's standard library
  (``Lib/`` without ``test/``, ``site-packages``, ``idlelib``, ``lib2to3/tests``). It is copied
  into a temporary folder (with an empty ``pyproject.toml`` at its root, so racelint's
  ``.racelint_cache/`` and Ruff's cache land there and no outer configuration applies);
  every tool lints the same copy.
* every tool runs as a fresh subprocess (cold process), wall time is the median of
  ``--repeat`` runs; CPU time (user+sys of the process tree, from ``wait4``) is shown too,
  because on a busy machine it is steadier than wall time.
* racelint: ``check --no-cache`` (cold); the first run with the cache (fill); warm
  with nothing changed; warm with one file edited (the benchmark counts the cache
  entries written, which is the number of files re-linted); ``--fix --unsafe-fixes`` on a
  copy of ``fixtures/cortex_legacy/``; peak memory with ``--jobs 2`` (largest single
  process from ``wait4``, and the whole process tree sampled from ``/proc``).
* flake8: ``--select CRL`` (our plugin; flake8 still runs every installed checker and
  filters the report) and flake8's default checks with our plugin hidden.
* Ruff (``check --no-cache`` and warm) and Fixit (``fixit lint``) when installed.
* in-process baselines: ``ast.parse`` and ``libcst.parse_module`` of every file.

racelint runs from a snapshot of ``cortex_racelint/`` taken at start (``PYTHONPATH``), so
edits to the source during a run cannot invalidate the cache half-way through (the
cache key hashes the tool's own source).

``--quick``: one repeat over 30 small standard-library files, and the fix timing on one
legacy module; used by ``tests/test_benchmarks_smoke.py``.

Exit status: 0 when every command ran (targets that miss are reported, not fatal),
1 when a tool crashed or printed a traceback.
"""

from __future__ import annotations

import argparse
import ast
import compileall
import contextlib
import datetime
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "fixtures" / "cortex_legacy"
STDLIB_SKIP = ("test", "site-packages", "dist-packages", "idlelib", "lib2to3/tests")
WALK_SKIP = {"__pycache__", ".git", ".hg", ".venv", "site-packages", ".racelint_cache", ".ruff_cache", ".tox"}
QUICK_FILES = 30

# flake8 runs every installed plugin whatever --select says, and our plugin is installed:
# "flake8 default" hides it so the baseline is pycodestyle + pyflakes + mccabe only.
FLAKE8_WITHOUT_RACELINT = r"""
import sys
import flake8.plugins.finder as finder
_find = finder._find_importlib_plugins
def _without_racelint():
    for plugin in _find():
        if not plugin.entry_point.value.startswith("cortex_racelint"):
            yield plugin
finder._find_importlib_plugins = _without_racelint
from flake8.main.cli import main
sys.exit(main())
"""


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    description: str
    files: list[Path]  # inside the copy
    root: Path  # the copy
    lines: int
    ast_failures: int = 0


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _walk(root: Path, skip_relative: Sequence[str] = ()) -> list[Path]:
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root).as_posix()
        kept = []
        for sub in sorted(subfolders):
            rel = sub if rel_folder == "." else f"{rel_folder}/{sub}"
            if sub in WALK_SKIP or rel in skip_relative:
                continue
            kept.append(sub)
        subfolders[:] = kept
        found.extend(Path(folder) / name for name in sorted(files) if name.endswith(".py"))
    return found


def collect_sources(paths: Sequence[str]) -> tuple[str, list[tuple[Path, Path]]]:
    """(description, [(source file, path relative to the copy's root)])."""
    if not paths:
        root = stdlib_root()
        pairs = [(f, f.relative_to(root)) for f in _walk(root, STDLIB_SKIP)]
        skipped = ", ".join(f"{s}/" for s in STDLIB_SKIP)
        return f"Python {platform.python_version()} standard library {root} (without {skipped})", pairs
    pairs = []
    for index, given in enumerate(paths):
        path = Path(given).resolve()
        prefix = Path(f"{index}_{path.name or 'root'}") if len(paths) > 1 else Path(path.name or "root")
        if path.is_file():
            pairs.append((path, prefix))
        elif path.is_dir():
            pairs.extend((f, prefix / f.relative_to(path)) for f in _walk(path))
        else:
            raise SystemExit(f"lint_speed: no such file or directory: {given}")
    return ", ".join(paths), pairs


def quick_subset(pairs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """30 small files spread over the corpus (1-20 kB), deterministic."""
    small = [p for p in pairs if 1_000 <= p[0].stat().st_size <= 20_000] or pairs
    if len(small) <= QUICK_FILES:
        return small
    step = len(small) / QUICK_FILES
    return [small[int(i * step)] for i in range(QUICK_FILES)]


def make_corpus(work: Path, description: str, pairs: list[tuple[Path, Path]]) -> Corpus:
    root = work / "corpus"
    files, lines = [], 0
    for source, relative in pairs:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        raw = target.read_bytes()
        lines += raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
        files.append(target)
    return Corpus(description, files, root, lines)


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    wall: float
    cpu: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_mb: float  # largest single process (wait4)
    tree_rss_mb: Optional[float] = None  # sum over the process tree, sampled


def _tree_rss_bytes(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root_pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_command(cmd: Sequence[str], cwd: Path, env: dict[str, str], sample_memory: bool = False) -> Run:
    """Run one command as a fresh process; wall, CPU and memory of its whole tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], _tree_rss_bytes(proc.pid))
                except OSError:
                    pass
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True) if sample_memory and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        if sampler:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            maxrss_mb=usage.ru_maxrss / 1024,
            tree_rss_mb=peak[0] / 2**20 if sampler else None,
        )


@dataclass
class Row:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    note: str = ""
    skipped: str = ""  # reason, when the row was not measured

    @property
    def wall(self) -> Optional[float]:
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self) -> Optional[float]:
        return statistics.median(self.cpus) if self.cpus else None


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, corpus: Corpus) -> None:
        self.args = args
        self.work = work
        self.corpus = corpus
        self.repeat = 1 if args.quick else args.repeat
        self.rows: dict[str, Row] = {}
        self.errors: list[str] = []
        self.notes: list[str] = []
        tool = work / "tool"
        shutil.copytree(REPO / "cortex_racelint", tool / "cortex_racelint", ignore=shutil.ignore_patterns("__pycache__"))
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tool), os.environ.get("PYTHONPATH", "")]))
        self.racelint = [sys.executable, "-m", "cortex_racelint"]
        self.jobs = ["--jobs", str(args.jobs)] if args.jobs else []

    # -- helpers
    def row(self, key: str, name: str) -> Row:
        return self.rows.setdefault(key, Row(name))

    def run(self, cmd: Sequence[str], ok: Sequence[int] = (0, 1), cwd: Optional[Path] = None, **kw) -> Run:
        result = run_command(cmd, cwd or self.work, self.env, **kw)
        label = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))[:120]
        if "Traceback (most recent call last)" in result.stderr or result.returncode not in ok:
            tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
            self.errors.append(f"`{label}` exited {result.returncode}: {' | '.join(tail)}")
        return result

    def timed(self, key: str, name: str, cmd: Sequence[str], ok: Sequence[int] = (0, 1), **kw) -> list[Run]:
        row = self.row(key, name)
        runs = []
        for _ in range(self.repeat):
            result = self.run(cmd, ok, **kw)
            row.walls.append(result.wall)
            row.cpus.append(result.cpu)
            runs.append(result)
        return runs

    def cache_entries(self, since_ns: int = 0) -> int:
        """Rows of the results cache written at or after `since_ns` (time.time_ns())."""
        database = self.work / ".racelint_cache" / "results.sqlite3"
        if not database.is_file():
            return 0
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:  # racelint: ignore[CRL201] one read after a run
            return db.execute("SELECT count(*) FROM results WHERE written >= ?", (since_ns,)).fetchone()[0]

    # -- measurements
    def warm_up(self) -> None:
        """Compile the snapshot's bytecode; outside --quick also run each tool once, untimed."""
        compileall.compile_dir(str(self.work / "tool"), quiet=1)
        if not self.args.quick:
            self.run([*self.racelint, "rules"], ok=(0,))
            self.run([sys.executable, "-m", "flake8", "--version"], ok=(0,))

    def racelint_runs(self) -> None:
        target = str(self.corpus.root)
        cold = self.timed(
            "cold", "racelint check --no-cache (cold)", [*self.racelint, "check", "--no-cache", *self.jobs, target],
            ok=(0, 1, 2), sample_memory=True,
        )
        found = re.search(r"Found (\d+) finding", cold[-1].stdout)
        self.rows["cold"].note = f"{found.group(1)} findings" if found else "no findings"
        self.memory = cold
        if any(r.returncode == 2 for r in cold):
            reported = [line.split(": error: ", 1) for line in cold[-1].stdout.splitlines() if ": error: " in line]
            shown = "; ".join(f"{Path(where).name}: {what[:80]}" for where, what in reported[:3])
            more = f" (+{len(reported) - 3} more)" if len(reported) > 3 else ""
            self.notes.append(f"racelint exited 2 on the corpus, reporting {len(reported)} file error(s): "
                              f"{shown}{more}; timings still count")

        fill = self.run([*self.racelint, "check", *self.jobs, target], ok=(0, 1, 2))
        fill_row = self.row("fill", "racelint check, first run (fills the cache)")
        fill_row.walls.append(fill.wall)
        fill_row.cpus.append(fill.cpu)
        entries = self.cache_entries()
        fill_row.note = f"{entries} cache rows written"
        if entries == 0:
            self.notes.append("no .racelint_cache/ entries appeared under the corpus' root: the warm rows measure nothing")

        warm = self.row("warm", "racelint check, warm cache, nothing changed")
        relinted = []
        for _ in range(self.repeat):
            before = time.time_ns()
            result = self.run([*self.racelint, "check", *self.jobs, target], ok=(0, 1, 2))
            warm.walls.append(result.wall)
            warm.cpus.append(result.cpu)
            relinted.append(self.cache_entries(since_ns=before))
        warm.note = f"files re-linted per run: {', '.join(map(str, relinted))}"
        self.warm_relinted = relinted

        changed = self.pick_changed_file()
        original = changed.read_bytes()
        row = self.row("changed", "racelint check, warm cache, 1 file edited")
        relinted = []
        try:
            for i in range(self.repeat):
                changed.write_bytes(original + f"\n# lint_speed edit {i} {time.time_ns()}\n".encode())
                before = time.time_ns()
                result = self.run([*self.racelint, "check", *self.jobs, target], ok=(0, 1, 2))
                row.walls.append(result.wall)
                row.cpus.append(result.cpu)
                relinted.append(self.cache_entries(since_ns=before))
        finally:
            changed.write_bytes(original)
        row.note = f"edited {changed.relative_to(self.corpus.root)}; files re-linted per run: {', '.join(map(str, relinted))}"
        self.changed_relinted = relinted

    def pick_changed_file(self) -> Path:
        """A median-sized file with evidence for a rule (it goes through LibCST), else any."""
        candidates = [f for f in self.corpus.files if b"global " in f.read_bytes()] or self.corpus.files
        candidates.sort(key=lambda f: (f.stat().st_size, str(f)))
        return candidates[len(candidates) // 2]

    def memory_row(self) -> None:
        effective = self.args.jobs or os.cpu_count() or 1
        runs = self.memory
        if effective != 2:
            runs = [self.run([*self.racelint, "check", "--no-cache", "--jobs", "2", str(self.corpus.root)],
                             ok=(0, 1, 2), sample_memory=True)]
        self.peak_single = max(r.maxrss_mb for r in runs)
        trees = [r.tree_rss_mb for r in runs if r.tree_rss_mb is not None]
        self.peak_tree = max(trees) if trees else None

    def fix_legacy(self) -> None:
        row = self.row("fix", "racelint --fix --unsafe-fixes, copy of fixtures/cortex_legacy/")
        if not LEGACY.is_dir():
            row.skipped = f"{LEGACY} not found"
            return
        fixed = []
        for i in range(self.repeat):
            folder = self.work / f"fix{i}"
            if self.args.quick:  # one module keeps the smoke test fast; same code path
                (folder / "cortex_legacy" / "cortex").mkdir(parents=True)
                for name in ("__init__.py", "transaction_history.py"):
                    shutil.copyfile(LEGACY / "cortex" / name, folder / "cortex_legacy" / "cortex" / name)  # racelint: ignore[CRL301]
                row.name = "racelint --fix --unsafe-fixes, copy of cortex_legacy/cortex/transaction_history.py (--quick)"
            else:
                shutil.copytree(LEGACY, folder / "cortex_legacy", ignore=shutil.ignore_patterns("__pycache__"))
            project = folder / "cortex_legacy"
            # its own project (not the benchmark folder): the helpers are looked up under it
            (project / "pyproject.toml").write_text("")  # racelint: ignore[CRL301] single-threaded set-up
            for helper in ("db-pool", "fileio"):  # as the migration does: the helpers its fixes import first
                self.run([*self.racelint, "scaffold", helper, "cortex/utils"], ok=(0,), cwd=project)
            result = self.run([*self.racelint, "--fix", "--unsafe-fixes", "--no-cache", *self.jobs, "cortex"],
                              ok=(0, 1), cwd=project)
            row.walls.append(result.wall)
            row.cpus.append(result.cpu)
            match = re.search(r"\((\d+) fixed, (\d+) remaining\)", result.stdout)
            fixed.append(f"{match.group(1)} fixed, {match.group(2)} left" if match else "nothing fixed")
        row.note = fixed[-1]

    def flake8_runs(self) -> None:
        target = str(self.corpus.root)
        jobs = ["--jobs", str(self.args.jobs)] if self.args.jobs else []
        self.timed("flake8", "flake8 default checks (pycodestyle, pyflakes, mccabe)",
                   [sys.executable, "-c", FLAKE8_WITHOUT_RACELINT, *jobs, target])
        self.timed("flake8_crl", "flake8 --select CRL (racelint plugin)",
                   [sys.executable, "-m", "flake8", "--select", "CRL", *jobs, target])

    def ruff_runs(self) -> None:
        ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
        if not ruff:
            self.row("ruff_cold", "ruff check --no-cache").skipped = "ruff not installed"
            self.row("ruff_warm", "ruff check, warm cache").skipped = "ruff not installed"
            return
        target = str(self.corpus.root)
        self.timed("ruff_cold", "ruff check --no-cache", [ruff, "check", "--no-cache", "--exit-zero", target])
        self.run([ruff, "check", "--exit-zero", target])
        self.timed("ruff_warm", "ruff check, warm cache", [ruff, "check", "--exit-zero", target])

    def fixit_runs(self) -> None:
        fixit = shutil.which("fixit") or shutil.which("fixit", path=str(Path(sys.executable).parent))
        if not fixit:
            self.row("fixit", "fixit lint").skipped = "Fixit not installed"
            return
        self.timed("fixit", "fixit lint (its default rules)", [fixit, "lint", str(self.corpus.root)], ok=range(256))

    def baselines(self) -> None:
        sources = [f.read_bytes() for f in self.corpus.files]

        def each(parse: Callable[[bytes], object]) -> tuple[float, float, int]:
            failures = 0
            wall, cpu = time.perf_counter(), time.process_time()
            for raw in sources:
                try:
                    parse(raw)
                except Exception:  # a file the parser rejects still cost its time
                    failures += 1
            return time.perf_counter() - wall, time.process_time() - cpu, failures

        import libcst

        for key, name, parse in (
            ("ast", "ast.parse every file (in-process, 1 core)", ast.parse),
            ("libcst", "libcst.parse_module every file (in-process, 1 core)", libcst.parse_module),
        ):
            row = self.row(key, name)
            for _ in range(self.repeat):
                wall, cpu, failures = each(parse)
                row.walls.append(wall)
                row.cpus.append(cpu)
            if failures:
                row.note = f"{failures} files rejected"
            if key == "ast":
                self.corpus.ast_failures = failures


# --------------------------------------------------------------------------- report


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(value: Optional[float], base: Optional[float]) -> str:
    return "n/a" if value is None or not base else f"{value / base:.2f}x"


def render(bench: Bench, started: datetime.datetime, load_before: tuple, load_after: tuple) -> str:
    c = bench.corpus
    rows = bench.rows
    out = [
        f"# lint_speed ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"- corpus: {c.description}",
        f"- {len(c.files)} files, {c.lines:,} lines{f', {c.ast_failures} rejected by ast.parse' if c.ast_failures else ''}",
        f"- Python {platform.python_version()} ({sys.executable}), {os.cpu_count()} cores, "
        f"racelint --jobs {bench.args.jobs or 'default (all cores)'}, wall = median of {bench.repeat} run(s)",
        f"- load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f}",
        "",
        "| measurement | wall s | CPU s | x flake8 default | x ast.parse | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    flake8 = rows.get("flake8").wall if "flake8" in rows else None
    base = rows.get("ast").wall if "ast" in rows else None
    order = ["ast", "libcst", "flake8", "flake8_crl", "ruff_cold", "ruff_warm", "fixit", "cold", "fill", "warm",
             "changed", "fix"]
    for key in order:
        if key not in rows:
            continue
        row = rows[key]
        if row.skipped:
            out.append(f"| {row.name} | skipped | | | | {row.skipped} |")
            continue
        out.append(
            f"| {row.name} | {_fmt(row.wall)} | {_fmt(row.cpu)} | {_ratio(row.wall, flake8)} | "
            f"{_ratio(row.wall, base)} | {row.note} |"
        )
    tree = "n/a" if bench.peak_tree is None else f"{bench.peak_tree:.0f} MB"
    out.append(f"| peak memory, racelint check --no-cache --jobs 2 | | | | | largest process {bench.peak_single:.0f} MB, "
               f"whole tree {tree} |")

    cold = rows["cold"].wall
    warm = rows["warm"].wall
    targets: list[tuple[str, str, Optional[bool]]] = [
        ("cold <= 0.25x flake8 default", _ratio(cold, flake8), None if not flake8 else cold / flake8 <= 0.25),
        ("cold <= 4x ast.parse", _ratio(cold, base), None if not base else cold / base <= 4),
        ("warm, nothing changed <= 1 s", f"{_fmt(warm)} s", warm is not None and warm <= 1.0),
    ]
    ruff_warm = rows["ruff_warm"].wall if "ruff_warm" in rows else None
    targets.append(("warm < 2x Ruff warm", _ratio(warm, ruff_warm) if ruff_warm else "Ruff not installed",
                    None if not ruff_warm else warm < 2 * ruff_warm))
    targets.append(("warm, nothing changed: 0 files re-linted", ", ".join(map(str, bench.warm_relinted)),
                    all(n == 0 for n in bench.warm_relinted)))
    targets.append(("one file edited: only it re-linted", ", ".join(map(str, bench.changed_relinted)),
                    all(n == 1 for n in bench.changed_relinted)))
    fix = rows["fix"]
    targets.append(("--fix --unsafe-fixes of the legacy tree < 5 s" + (" (--quick: 1 module)" if bench.args.quick else ""),
                    fix.skipped or f"{_fmt(fix.wall)} s", None if fix.skipped else fix.wall < 5.0))
    peak = bench.peak_tree if bench.peak_tree is not None else bench.peak_single
    targets.append(("peak memory with --jobs 2 < 500 MB", f"{peak:.0f} MB", peak < 500))
    out += ["", "| target (issue 7) | measured | result |", "|---|---|---|"]
    for name, measured, ok in targets:
        out.append(f"| {name} | {measured} | {'n/a' if ok is None else 'PASS' if ok else 'FAIL'} |")
    notes = list(bench.notes)
    if "flake8_crl" in rows:
        notes.append("flake8 runs every installed checker whatever --select says, so `--select CRL` costs flake8's "
                     "default checks plus the plugin")
    if bench.args.quick:
        notes.append(f"--quick: at most {QUICK_FILES} files and 1 repeat; not comparable with the full run")
    if bench.errors:
        notes += [f"ERROR {e}" for e in bench.errors]
    if notes:
        out += [""] + [f"- note: {n}" for n in notes]
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="*", help="files or directories (default: the standard library)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--jobs", type=int, default=None, help="passed to racelint and flake8 (default: theirs)")
    parser.add_argument("--quick", action="store_true", help="30 small files, 1 repeat (smoke test)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument("--skip-fixit", action="store_true", help="do not run Fixit (minutes per run on the stdlib)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    description, pairs = collect_sources(args.corpus)
    if args.quick:
        pairs = quick_subset(pairs)
        description += f" (--quick: {len(pairs)}-file subset)"
    if not pairs:
        print("lint_speed: the corpus has no .py files", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="racelint-bench-"))
    try:
        (work / "pyproject.toml").write_text("")  # the config/cache root for every tool
        corpus = make_corpus(work, description, pairs)
        bench = Bench(args, work, corpus)
        steps = [bench.warm_up, bench.baselines, bench.flake8_runs, bench.ruff_runs, bench.fixit_runs,
                 bench.racelint_runs, bench.memory_row, bench.fix_legacy]
        if args.skip_fixit:
            steps.remove(bench.fixit_runs)
        for step in steps:
            print(f"[lint_speed] {step.__name__} ...", file=sys.stderr, flush=True)
            step()
        print(render(bench, started, load_before, os.getloadavg()))
        if args.keep:
            print(f"\n(temporary folder kept: {work})")
        return 1 if bench.errors else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
