"""Per-path entry points over `lint_source` / `fix_source`: read, run in parallel, write.

The CLI, the pre-commit hook and the tests all go through `run_paths`; the flake8
plugin calls `lint_source` directly because flake8 already has the file's text.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import difflib
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence

from .engine.cache import ResultCache
from .project.join import join
from .project.filters import Project as FilterProject, facts_for
from .project.phase import ProjectStats, parse_summaries, run_phase_two
from .project.standalone import with_facts
from .engine.lint import lint_source
from .ftypes import Config, FileResult, FixApplicability, ParseError
from .engine.gctuning import tune_for_run, tuned_collector
from .engine.sourcefile import WriteRefused, atomic_replace, read_bytes, termination_deferred


@dataclass
class RunOutcome:
    results: list[FileResult] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    write_errors: list[ParseError] = field(default_factory=list)


def relative_path(path: str, config: Config) -> str:
    base = config.root or Path.cwd()
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def process_file(path: str, config: Config, fix: bool) -> FileResult:
    """Read and lint (or fix) one file; any failure becomes a reported error."""
    return _read_and_process(path, config, fix)[1]


def _read_and_process(path: str, config: Config, fix: bool) -> tuple[bytes, FileResult]:
    """(the bytes processed, the result)."""
    try:
        raw = read_bytes(path)
    except OSError as error:
        return b"", FileResult(path=path, error=ParseError(path, f"cannot read: {error.strerror or error}"))
    relative = relative_path(path, config)
    if fix:
        from .engine.fixer import fix_source  # imported on use: `check` never loads libcst.codemod

        return raw, fix_source(raw, path, config, relative)
    return raw, lint_source(raw, path, config, relative, summarize=True)


#: told how many more files are done (0: none, only time passed); the CLI's progress line
Progress = Callable[[int], None]


def _process_batch(
    batch: Sequence[str],
    config: Config,
    fix: bool,
    cache: Optional[ResultCache] = None,
    progress: Optional[Progress] = None,
    own: Optional[dict[str, Config]] = None,
) -> list[FileResult]:
    """Process a batch; with a cache, store its results under the bytes just linted.

    Stored by the worker (one transaction per batch, in parallel), so a file edited
    between the parent's lookup and the lint is never stored under its old content.
    `progress` is only given in the parent (a serial run): it hears of each file.
    """
    done = []
    for path in batch:
        done.append(_read_and_process(path, own.get(path, config) if own else config, fix))
        if progress is not None:
            progress(1)
    if cache is not None and fix:
        cache.put_fixed((path, raw, own.get(path, config) if own else config, result) for path, (raw, result) in zip(batch, done))
    elif cache is not None:
        cache.put_many((path, raw, config, result) for path, (raw, result) in zip(batch, done))
    return [result for _, result in done]


def gil_enabled() -> bool:
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _batches(paths: Sequence[str], jobs: int) -> list[list[int]]:
    """Indices of `paths` in batches of similar byte size, largest files first.

    Longest-first keeps one big module from finishing alone after every other worker
    is idle; a batch holds at most 32 files and about 1/(8*jobs) of the bytes.
    """
    sizes = [_file_size(path) for path in paths]
    order = sorted(range(len(paths)), key=lambda i: -sizes[i])
    budget = max(1, sum(sizes) // (jobs * 8))
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for index in order:
        if current and (current_bytes + sizes[index] > budget or len(current) >= 32):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += sizes[index]
    if current:
        batches.append(current)
    return batches


def run_files(
    paths: Sequence[str],
    config: Config,
    fix: bool,
    jobs: Optional[int] = None,
    cache: Optional[ResultCache] = None,
    progress: Optional[Progress] = None,
    stats: Optional[ProjectStats] = None,
    project_paths: Optional[Sequence[str]] = None,
    summaries: Optional[dict[str, dict]] = None,
    fix_cache: Optional[ResultCache] = None,
) -> list[FileResult]:
    """Process files, in parallel when worthwhile; results come back in input order.

    Cache hits are answered in this process before any worker starts, so a warm run
    over an unchanged tree costs a read and a hash per file. `cache` is for lints only;
    a fix reads and stores `fix_cache` (given by the JSON/SARIF edits, which write no file).
    `progress` is called in this process as files finish (per batch in parallel runs).
    Two phases (`project.phase`): the per-file pass also summarises each module; the
    summaries are joined and the files the join gives facts are re-linted by the project
    rules. `stats` hears what each phase did. A fix of some files of a project joins the
    summaries of `project_paths` (default: `paths`), so their facts are the whole project's;
    `summaries` are those a check of the same bytes already made (not parsed again).
    """
    with tuned_collector():
        if fix:
            return _fix_files(paths, config, jobs, progress, stats, project_paths, summaries, fix_cache)
        results = _run_files(paths, config, fix, jobs, cache, progress, stats)
        try:
            run_phase_two(results, config, cache, lambda path: relative_path(path, config), stats)
        finally:
            if cache is not None:
                cache.close()
        return results


def _fix_files(
    paths: Sequence[str],
    config: Config,
    jobs: Optional[int],
    progress: Optional[Progress],
    stats: Optional[ProjectStats],
    project_paths: Optional[Sequence[str]] = None,
    summaries: Optional[dict[str, dict]] = None,
    cache: Optional[ResultCache] = None,
) -> list[FileResult]:
    """Fix: the summaries come straight from the files (or a check's, `summaries`); a file with
    project facts is fixed with them. The project filters are asked about the fixed files only."""
    every = sorted({*paths, *(project_paths or ())})
    known = summaries or {}
    parsed = {path: known[path] for path in every if known.get(path)}
    parsed.update(parse_summaries([path for path in every if path not in parsed], config))
    facts = join(parsed)
    names = {qual.rpartition(".")[2] for path in paths for qual in parsed.get(path, {}).get("functions", {})}
    wanted = {"one_shot": names, "unreached": set(paths)}
    for path, own in facts_for(FilterProject(parsed, every, read_bytes, config), wanted).items():  # `project/filters.py`
        facts.setdefault(path, {}).update(own)
    if stats is not None:
        stats.with_facts, stats.facts = len(facts), facts
    own = {path: with_facts(config, facts[path]) for path in paths if path in facts}
    return _run_files(paths, config, True, jobs, cache, progress, own=own)  # files with facts in the pool too


def _run_files(
    paths: Sequence[str],
    config: Config,
    fix: bool,
    jobs: Optional[int],
    cache: Optional[ResultCache],
    progress: Optional[Progress] = None,
    stats: Optional[ProjectStats] = None,
    own: Optional[dict[str, Config]] = None,
) -> list[FileResult]:
    """`own`: path -> the configuration of a file fixed with its project facts (default `config`)."""
    results: dict[int, FileResult] = {}
    if cache is not None:
        cache.prepare()
        for index, path in enumerate(paths):
            try:
                raw = read_bytes(path)
            except OSError:
                continue
            hit = cache.get_fixed(path, raw, own.get(path, config) if own else config) if fix else cache.get(path, raw, config)
            if hit is not None:
                results[index] = hit
        cache.close()  # before workers fork: they open their own connections
    todo = [i for i in range(len(paths)) if i not in results]
    if stats is not None:
        stats.linted += len(todo)
    if progress is not None and results:
        progress(len(results))
    try:
        for index, result in zip(todo, _run_uncached([paths[i] for i in todo], config, fix, jobs, cache, progress, own)):
            results[index] = result
    finally:
        if cache is not None:
            cache.close()  # a serial run wrote through this process's connection
    return [results[i] for i in range(len(paths))]


#: signals that end a run: the parent stops its workers first, then goes the way the signal says
_STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_INTERRUPTS = (signal.SIGINT, *_STOPPING)


class _Stopped(BaseException):
    """A terminating signal arrived while workers ran: unwind so they can be stopped first."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class _Interrupt:
    """The signal that asked the run to stop, also when the exception its handler raised was swallowed.

    A handler that fires inside a callback whose exceptions are only printed (an at-fork
    hook, a finaliser) loses its exception: the run would go on and write every fix.
    """

    signum: Optional[int] = None

    def check(self) -> None:
        if self.signum == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signum is not None:
            raise _Stopped(self.signum)


def _start_worker() -> None:
    """Each pool worker's set-up (a spawned worker does not inherit the parent's collector settings)."""
    _worker_signals()
    tune_for_run()


def _worker_signals() -> None:
    """In each worker: die on SIGTERM/SIGHUP, ignore SIGINT, and receive them again.

    A forked worker inherits the parent's handlers, and a handler that raises inside a
    worker is caught by the pool and sent back as a result: the worker would live on.
    Ctrl-C reaches the whole process group; the parent answers it for everyone. The
    workers are forked while the parent holds these signals, and inherit that mask.
    """
    for signum in _STOPPING:
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is not None:
        mask(signal.SIG_UNBLOCK, _INTERRUPTS)


@contextlib.contextmanager
def _stoppable() -> Iterator[_Interrupt]:
    """While workers run, SIGINT/SIGTERM/SIGHUP raise in the parent instead of killing it outright.

    Killed outright, the parent left its pool workers running (holding its stdout open).
    Handlers can only be set from the main thread; elsewhere nothing changes. A signal
    that is ignored (`nohup`, a background job's SIGINT) stays ignored.
    """
    interrupt = _Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return

    def stop(signum: int, frame: object) -> None:
        interrupt.signum = signum
        interrupt.check()

    previous = {}
    for signum in _INTERRUPTS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, stop)
    try:
        yield interrupt
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _abandon(executor: concurrent.futures.Executor) -> None:
    """Drop the queued work and kill the workers now (they write nothing: files are written by the parent)."""
    with termination_deferred():
        # taken before `shutdown`, which forgets them; a ThreadPoolExecutor has none (its
        # running batches finish, the queued ones are cancelled)
        processes = list((getattr(executor, "_processes", None) or {}).values())
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=5)


def _run_uncached(
    paths: Sequence[str],
    config: Config,
    fix: bool,
    jobs: Optional[int],
    cache: Optional[ResultCache] = None,
    progress: Optional[Progress] = None,
    own: Optional[dict[str, Config]] = None,
) -> list[FileResult]:
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) < 8:
        return _process_batch(paths, config, fix, cache, progress, own)
    batches = _batches(paths, jobs)
    try:
        with _stoppable() as interrupt:
            done = _run_pool(
                [[paths[i] for i in batch] for batch in batches], config, fix, jobs, interrupt, cache, progress, own
            )
        results: list[Optional[FileResult]] = [None] * len(paths)
        for index, result in zip((i for batch in batches for i in batch), done):
            results[index] = result
        return [result for result in results if result is not None]
    except _Stopped as stopped:
        # the workers are gone; now end the way the signal's default action would have
        signal.signal(stopped.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stopped.signum)
        raise SystemExit(128 + stopped.signum) from None


def _run_pool(
    batches: list[list[str]],
    config: Config,
    fix: bool,
    jobs: int,
    interrupt: _Interrupt,
    cache: Optional[ResultCache] = None,
    progress: Optional[Progress] = None,
    own: Optional[dict[str, Config]] = None,
) -> list[FileResult]:
    """Run the batches on a pool; on any interruption (SIGINT, SIGTERM) stop the workers before unwinding."""
    if gil_enabled():
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        executor: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context(method), initializer=_start_worker
        )
    else:  # free-threaded build: threads run the visitors truly in parallel
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        with termination_deferred():  # the workers are forked here, and an at-fork hook swallows what a handler raises
            futures = [
                executor.submit(_process_batch, batch, config, fix, cache, None, {p: own[p] for p in batch if p in own} if own else None)
                for batch in batches
            ]
        results: list[FileResult] = []
        for future in futures:
            while True:
                interrupt.check()
                try:
                    batch_results = future.result(timeout=0.2)
                except concurrent.futures.TimeoutError:
                    if progress is not None:
                        progress(0)
                    continue
                results.extend(batch_results)
                if progress is not None:
                    progress(len(batch_results))
                break
        interrupt.check()
    except BaseException:
        _abandon(executor)
        raise
    executor.shutdown(wait=True)
    return results


def write_fixes(results: Iterable[FileResult]) -> tuple[list[str], list[ParseError]]:
    """Write every changed file atomically; refusals are reported, nothing half-written."""
    written: list[str] = []
    errors: list[ParseError] = []
    for result in results:
        if result.new_source is None or result.old_source is None:
            continue
        try:
            atomic_replace(result.path, result.new_source, result.old_source)
            written.append(result.path)
        except WriteRefused as error:
            errors.append(ParseError(result.path, f"not fixed: {error}"))
        except OSError as error:
            errors.append(ParseError(result.path, f"not fixed: cannot write: {error.strerror or error}"))
    return written, errors


def unified_diff(result: FileResult) -> str:
    if result.new_source is None or result.old_source is None:
        return ""
    old = result.old_source.decode("utf-8", "replace").splitlines(keepends=True)
    new = result.new_source.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{result.path}", f"b/{result.path}"))


def unwritable_fixes(results: Iterable[FileResult], config: Config) -> list[ParseError]:
    """The fixes this run was asked for but could not write, each as an error naming its finding.

    A fix needing a helper module the project lacks is withheld (see `project_helpers`):
    nothing of it is written, and `--fix` must not look like it succeeded. An unsafe fix
    without `--unsafe-fixes` was never asked for and is not listed.
    """
    errors = []
    for result in results:
        for finding in result.findings:
            withheld = finding.withheld_fix
            if withheld is None:
                continue
            if withheld.applicability is FixApplicability.UNSAFE and not config.unsafe_fixes:
                continue
            errors.append(
                ParseError(finding.path, f"{finding.code} fix not written: {finding.no_fix_reason}", finding.line, finding.column)
            )
    return errors
