"""One reproducer run per race family, in the child process; each returns a plain report.

Every report says whether the window was `reached`, whether the race's observable
effect happened (`raced`), and whether the window was proven `serialised` (one
thread inside it, the hold timing out). Family by family:

* creation (CRL101-105): `__racelint_hold__()` before the act; several threads
  performing the act together is the race (two instances).
* rmw (CRL402): each thread is held right after it read `self.<attr>` in the
  read-modify-write. A write computed from a read that another thread's write has
  since replaced (a new object, not the shared one changed in place) is a lost update.
* shared (CRL401): side A is held right after its access to `self.<attr>` while side
  B runs. B touching the attribute while A is still held is two conflicting accesses
  with no lock ordering them, the definition of a data race; the report also says if
  the value A saw was replaced under it. With a common lock B cannot get there, and
  A's wait times out.
* file-write (CRL301): every writer's first `write()` writes half of its data, flushes
  and waits (an appender waits before writing, so its content check sees what the
  others saw). Two writers inside the same file at once means interleaved output and a
  reader seeing a half-written file; a lock lets only one in (the hold times out), an
  atomic replace gives each writer its own file.
* sqlite (CRL201): another connection holds the database's write lock while the
  threads run the per-call connection. `sqlite3.connect()`'s wait (its `timeout`,
  default 5 s) is scaled by SCALE and the lock is held CONTENTION seconds, longer than
  that wait: the suite's scenario in `tests/test_thread_safety.py` (a 6 s writer
  against the default 5 s) made fast. "database is locked" is the race. A fix that
  waits with its own `PRAGMA busy_timeout` (the pool's) keeps it unscaled, so the
  certificate proves it waits out the writer, not how long it would wait.
"""

from __future__ import annotations

import builtins
import importlib
import threading
import time
from types import ModuleType
from typing import Any, Callable, Optional

from ..racetest import WindowHold, run_together
from .arguments import Unbuildable
from .hooks import FileWrites, RacelintStop, Sqlite, hook_attribute, window_frame
from .targets import build_instance, resolve

SCALE = 1 / 40  # sqlite3.connect's default 5 s wait becomes 0.125 s
CONTENTION = 7.5 * SCALE  # seconds the write lock is held: 7.5 s at full scale
SQLITE_THREADS = 4  # at most the pool size, so every thread gets a connection
REACH_SECONDS = 1.5  # how long a side may take to reach its window
_MISSING = object()

Report = dict[str, Any]


def _report(*, reached: bool, raced: bool, serialised: bool, detail: str, arrivals: int = 0, timeouts: int = 0,
            errors: Optional[list[str]] = None, distinct: int = 0) -> Report:
    return {"arrivals": arrivals, "timeouts": timeouts, "distinct": distinct, "errors": sorted(set(errors or [])),
            "reached": reached, "raced": raced, "serialised": serialised, "detail": detail}


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def _start(bodies: list[Callable[[], Any]], driven: dict[int, int]) -> tuple[list[threading.Thread], list[str]]:
    """Start one daemon thread per body, released together; their idents go in `driven`."""
    start = threading.Barrier(len(bodies))
    errors: list[str] = []

    def wrap(index: int, body: Callable[[], Any]) -> None:
        driven[threading.get_ident()] = index
        try:
            start.wait(5)
        except threading.BrokenBarrierError:
            pass
        try:
            body()
        except RacelintStop:
            pass
        except BaseException as error:  # noqa: BLE001 - reported
            errors.append(_describe(error))

    threads = [threading.Thread(target=wrap, args=(i, b), daemon=True) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    return threads, errors


def _join(threads: list[threading.Thread], seconds: float) -> int:
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(1 for t in threads if t.is_alive())


def _in_method(frame: Any, filename: str, function: str, line: Optional[int]) -> bool:
    code = frame.f_code
    return code.co_name == function and code.co_filename == filename and (line is None or frame.f_lineno == line)


# -- creation races (CRL101-CRL105) ----------------------------------------------------

def run_creation(spec: dict, threads: int, timeout: float) -> Report:
    hold = WindowHold(parties=threads, timeout=timeout)
    builtins.__racelint_hold__ = hold  # type: ignore[attr-defined]
    module = importlib.import_module(spec["module"])
    entry = spec["entry"]
    if entry.endswith("()"):
        target = getattr(module, entry[:-2])
    else:
        target = module
        for part in entry.split("."):
            target = getattr(target, part)
    run = run_together(threads, lambda _i: target())
    distinct = len({id(r) for r in run.results})
    return _report(reached=hold.arrivals > 0, raced=hold.arrivals > 1, serialised=hold.arrivals == 1 and hold.timeouts >= 1,
                   detail=f"{hold.arrivals} threads performed the act together", arrivals=hold.arrivals,
                   timeouts=hold.timeouts, errors=[_describe(e) for e in run.errors], distinct=distinct)


# -- read-modify-write (CRL402) ---------------------------------------------------------

def run_rmw(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = build_instance(module, spec["function"])
    target = resolve(module, spec["function"], instance)
    attr, line, filename = spec["attr"], spec.get("window_line"), module.__file__
    hold = WindowHold(parties=threads, timeout=timeout)
    lock = threading.Lock()
    driven: dict[int, int] = {}
    reads: dict[int, tuple[int, Any]] = {}
    state = {"version": 0, "lost": 0, "writes": 0}

    def before_set(obj: Any, kind: str, value: Any, frame: Any) -> None:
        with lock:
            read = reads.pop(threading.get_ident(), None)
            if read is not None:
                state["writes"] += 1
                if read[0] != state["version"] and value is not read[1]:
                    state["lost"] += 1  # computed from a value another thread's write replaced

    def after_access(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if kind == "write":
            with lock:
                state["version"] += 1
        elif threading.get_ident() in driven and _in_method(frame, filename, target.function, line):
            with lock:
                reads[threading.get_ident()] = (state["version"], value)
            hold()  # between the read and the write

    hook_attribute(instance, attr, before_set, after_access)
    started, errors = _start([target.call] * threads, driven)
    _join(started, 10 + 2 * timeout)
    lost = state["lost"]
    return _report(reached=hold.arrivals > 0, raced=lost > 0, serialised=hold.arrivals > 0 and hold.timeouts > 0 and lost == 0,
                   detail=f"{lost} of {state['writes']} updates of `{attr}` lost ({hold.arrivals} threads read it in the window)",
                   arrivals=hold.arrivals, timeouts=hold.timeouts, errors=errors)


# -- shared attribute between a thread and its owner (CRL401) ----------------------------

def run_shared(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = build_instance(module, spec["function"])
    # each side is recognised by its frames, so a side may run on the thread its starter spawns
    drive_a = resolve(module, spec.get("entry") or spec["function"], instance)
    drive_b = resolve(module, spec.get("other_entry") or spec["other_function"], instance)
    side_a, side_b = spec["function"].split(".")[-1], spec["other_function"].split(".")[-1]
    attr, line, filename = spec["attr"], spec.get("window_line"), module.__file__
    a_in, b_done, a_out = threading.Event(), threading.Event(), threading.Event()
    main = threading.get_ident()
    state: dict[str, Any] = {"held": False, "b_inside": "", "timed_out": False, "changed": False, "stop": False}

    def check_stop(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if state["stop"] and threading.get_ident() != main and frame.f_code.co_name in (side_a, side_b):
            raise RacelintStop

    def after_access(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if frame.f_code.co_filename != filename:
            return
        check_stop(obj, kind, value, frame)
        if not state["held"] and _in_method(frame, filename, side_a, line):
            state["held"] = True
            before = obj.__dict__.get(attr, _MISSING)
            a_in.set()
            state["timed_out"] = not b_done.wait(timeout)
            state["changed"] = obj.__dict__.get(attr, _MISSING) is not before
            state["stop"] = True  # the verdict is in: unwind both sides at their next access
            a_out.set()
        elif frame.f_code.co_name == side_b and state["held"] and not a_out.is_set() and not state["b_inside"]:
            state["b_inside"] = "wrote" if kind == "write" else "read"
            b_done.set()

    def run_b() -> None:
        if a_in.wait(REACH_SECONDS):
            drive_b.call()

    hook_attribute(instance, attr, check_stop, after_access)
    started, errors = _start([drive_a.call, run_b], {})
    if a_in.wait(REACH_SECONDS):
        a_out.wait(timeout + 3.0)
    state["stop"] = True
    _join(started, 2.0)
    reached, raced = state["held"], bool(state["b_inside"])
    a_label, b_label = f"{spec['function']}()", f"{spec['other_function']}()"
    if raced:
        detail = f"`{b_label}` {state['b_inside']} `{attr}` while `{a_label}` was held right after its access"
        detail += " (the value it saw was replaced under it)" if state["changed"] else ""
    elif reached:
        detail = f"`{b_label}` could not touch `{attr}` while `{a_label}` was held (the hold timed out)"
    else:
        detail = f"driving `{drive_a.label}` never reached the window (line {line or '?'})"
    return _report(reached=reached, raced=raced, serialised=reached and state["timed_out"] and not raced, detail=detail,
                   arrivals=int(reached), timeouts=int(state["timed_out"]), errors=errors)


# -- unlocked shared file writes (CRL301) -----------------------------------------------

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
    instance = build_instance(module, spec["function"])
    target = resolve(module, spec["function"], instance)
    run = _FileRun(threads, timeout, module.__file__, target.function, spec.get("window_line"))
    _FILE_RUN[:] = [run]
    try:
        started, errors = _start([target.call] * threads, run.driven)
        _join(started, 10 + 2 * timeout)
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
    return _report(reached=reached, raced=worst > 1, serialised=serialised, detail=detail,
                   arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)


# -- per-call sqlite connections (CRL201) -------------------------------------------------

_SQL_DRIVEN: dict[int, int] = {}
_SQL_HOOK = Sqlite(SCALE, lambda: threading.get_ident() in _SQL_DRIVEN)


def run_sqlite(spec: dict, threads: int, timeout: float) -> Report:
    _SQL_DRIVEN.clear()
    _SQL_HOOK.paths.clear()
    module = importlib.import_module(spec["module"])
    instance = build_instance(module, spec["function"])
    target = resolve(module, spec["function"], instance)
    if not _SQL_HOOK.paths:
        target.call()  # warm-up on the main thread: learn the database file
    if not _SQL_HOOK.paths:
        return _report(reached=False, raced=False, serialised=False, detail=f"`{target.label}` opened no database file")
    blockers = []
    for path in _SQL_HOOK.paths:
        blocker = _SQL_HOOK.real_connect(path, timeout=1.0, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the write lock
        blockers.append(blocker)
    _SQL_HOOK.statements = 0
    count = min(threads, SQLITE_THREADS)
    started, errors = _start([target.call] * count, _SQL_DRIVEN)
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
    _join(started, 5.0)
    locked = [e for e in errors if "locked" in e]
    reached = _SQL_HOOK.statements > 0
    detail = (f"{len(locked)} of {count} calls failed with 'database is locked' while another connection held the write "
              f"lock {CONTENTION:.3g} s (sqlite3.connect's timeout scaled by {SCALE:g})")
    return _report(reached=reached, raced=bool(locked), serialised=reached and not locked, detail=detail,
                   arrivals=count, timeouts=int(waited), errors=errors)


SCENARIOS: dict[str, Callable[[dict, int, float], Report]] = {
    "creation": run_creation,
    "rmw": run_rmw,
    "shared": run_shared,
    "file-write": run_file_write,
    "sqlite": run_sqlite,
}


def install(family: str) -> None:
    """Patches that must be in place before the user's module is imported."""
    if family == "file-write":
        _FILE_HOOK.install()
    elif family == "sqlite":
        _SQL_HOOK.install()


def run(spec: dict, threads: int, timeout: float) -> Report:
    try:
        return SCENARIOS[spec.get("family", "creation")](spec, threads, timeout)
    except Unbuildable as error:
        return {"unrunnable": str(error)}
