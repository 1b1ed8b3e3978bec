"""Reproducer runs for shared resources: unlocked file writes (CRL301), per-call SQLite (CRL201).

See `scenarios.py` for what each run proves. The `open` and `sqlite3.connect` patches
are installed once per child, before the user's module is imported (a module may bind
`from sqlite3 import connect`); each run points them at its own state.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Optional

from .drive import Report, join, report, start_threads
from .hooks import FileWrites, Sqlite, window_frame
from .targets import instance_for, resolve

SCALE = 1 / 40  # sqlite3.connect's default 5 s wait becomes 0.125 s
CONTENTION = 7.5 * SCALE  # seconds the write lock is held: 7.5 s at full scale
SQLITE_THREADS = 2  # writers behind a released lock retry on SQLite's 100 ms busy steps: keep them few


class Gather:
    """A barrier for writers that may not all come: a check before the write can stop some.

    Releases when every party is inside, or when at least two are and nobody new came
    for `quiet` seconds (the race is shown); a thread alone times out after `timeout`,
    and then every later one passes at once (as a broken barrier does).
    """

    def __init__(self, parties: int, timeout: float, quiet: float = 0.15) -> None:
        self.parties, self.timeout, self.quiet = parties, timeout, quiet
        self.arrivals = self.timeouts = self.count = 0
        self.last = 0.0
        self.released = self.broken = False
        self.cond = threading.Condition()

    def __call__(self) -> None:
        with self.cond:
            self.arrivals += 1
            if self.broken or self.released:
                self.timeouts += int(self.broken)
                return
            self.count += 1
            self.last = started = time.monotonic()
            self.cond.notify_all()
            while not (self.released or self.broken):
                now = time.monotonic()
                if self.count >= self.parties or (self.count >= 2 and now - self.last >= self.quiet):
                    self.released = True
                elif self.count == 1 and now - started >= self.timeout:
                    self.broken = True
                else:
                    self.cond.wait(0.01)
            self.cond.notify_all()
            self.timeouts += int(self.broken)


class _FileRun:
    def __init__(self, threads: int, timeout: float, filename: str, function: str, line: Optional[int]) -> None:
        self.hold = Gather(parties=threads, timeout=timeout)
        self.driven: dict[int, int] = {}
        self.filename, self.function, self.line = filename, function, line
        self.inside: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.lock = threading.Lock()

    def in_window(self) -> bool:
        if threading.get_ident() not in self.driven:
            return False
        return window_frame(self.filename, self.function, self.line, depth=1, limit=24) is not None

    def held(self, path: str) -> None:
        with self.lock:
            self.inside[path] = self.inside.get(path, 0) + 1
            self.most[path] = max(self.most.get(path, 0), self.inside[path])
        try:
            self.hold()
        finally:
            with self.lock:
                self.inside[path] -= 1


_FILE_RUN: list[_FileRun] = []
_FILE_HOOK = FileWrites(lambda: bool(_FILE_RUN) and _FILE_RUN[-1].in_window(), lambda p: _FILE_RUN[-1].held(p))


def run_file_write(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    target = resolve(module, spec["function"], instance)
    run = _FileRun(threads, timeout, module.__file__, target.function, spec.get("window_line"))
    _FILE_RUN[:] = [run]
    try:
        started, errors = start_threads([target.call] * threads, run.driven)
        join(started, 10 + 2 * timeout)
    finally:
        _FILE_RUN.clear()
    worst = max(run.most.values(), default=0)
    name = max(run.most, key=run.most.get).rsplit("/", 1)[-1] if run.most else "?"
    reached = run.hold.arrivals > 0
    serialised = reached and worst == 1 and (run.hold.timeouts > 0 or len(run.most) > 1)
    if worst > 1:
        detail = f"{worst} writers were inside the write of `{name}` at once"
    else:
        how = "the hold timed out" if run.hold.timeouts else "each writer had its own file"
        detail = f"one writer at a time inside each file ({how})"
    return report(reached=reached, raced=worst > 1, serialised=serialised, detail=detail,
                  arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)


# -- per-call sqlite connections (CRL201) -------------------------------------------------

_SQL_DRIVEN: dict[int, int] = {}
_SQL_HOOK = Sqlite(SCALE, lambda: threading.get_ident() in _SQL_DRIVEN)


def run_sqlite(spec: dict, threads: int, timeout: float) -> Report:
    _SQL_DRIVEN.clear()
    _SQL_HOOK.paths.clear()
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    target = resolve(module, spec["function"], instance)
    if not _SQL_HOOK.paths:
        target.call()  # warm-up on the main thread: learn the database file
    if not _SQL_HOOK.paths:
        return report(reached=False, raced=False, serialised=False, detail=f"`{target.label}` opened no database file")
    blockers = []
    for path in _SQL_HOOK.paths:
        blocker = _SQL_HOOK.real_connect(path, timeout=1.0, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the write lock
        blockers.append(blocker)
    _SQL_HOOK.statements = 0
    count = min(threads, SQLITE_THREADS)
    started, errors = start_threads([target.call] * count, _SQL_DRIVEN)
    begin, waited = time.monotonic(), False
    while any(t.is_alive() for t in started) and time.monotonic() - begin < 3.0:
        with _SQL_HOOK.lock:
            oldest = min(_SQL_HOOK.running.values(), default=None)
        if oldest is not None and time.monotonic() - oldest >= CONTENTION:
            waited = True  # a statement waited out the whole contention: the lock holder lets go
            break
        time.sleep(0.005)
    for blocker in blockers:
        blocker.commit()
        blocker.close()
    join(started, 5.0)
    locked = [e for e in errors if "locked" in e]
    reached = _SQL_HOOK.statements > 0
    detail = (f"{len(locked)} of {count} calls failed with 'database is locked' while another connection held the write "
              f"lock {CONTENTION:.3g} s (sqlite3.connect's timeout scaled by {SCALE:g})")
    return report(reached=reached, raced=bool(locked), serialised=reached and not locked, detail=detail,
                  arrivals=count, timeouts=int(waited), errors=errors)


def install_io(family: str) -> None:
    """Install the patch a family needs, before the user's module is imported."""
    if family == "file-write":
        _FILE_HOOK.install()
    elif family == "sqlite":
        _SQL_HOOK.install()
