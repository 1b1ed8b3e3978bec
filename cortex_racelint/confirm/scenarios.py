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
* walk (CRL405): the container is swapped for an equal one whose walks wait, once their
  iterator is taken, until the changing side returned (`walk_races.py`); a change landing
  mid-walk is the race (a dict or set walk then raises RuntimeError). CRL406 runs it on the
  process-wide object the project index found (`shared_walk.py`).
* torn-read (CRL302): the writer's first `write()` writes half, flushes and waits with the
  writers' lock held; the reader, driven meanwhile, opening the file is the race
  (`torn_reads.py`); with the lock around the read it cannot, and the hold times out.
* file-write (CRL301): every writer's first `write()` writes half of its data, flushes
  and waits (an appender waits before writing, so its content check sees what the
  others saw). Two writers inside the same file at once means interleaved output and a
  reader seeing a half-written file; a lock lets only one in (the hold times out), an
  atomic replace gives each writer its own file.
* file-create (CRL303): every first user is held right after its existence check said "absent"
  (or just before its create, if no check was seen); two successful creates of one file, or a
  caller returning a key the file does not hold, is the race (`file_creates.py`, which also says
  why frontrun cannot see it).
* sqlite (CRL201): another connection holds the database's write lock while the
  threads run the per-call connection. `sqlite3.connect()`'s wait (its `timeout`,
  default 5 s) is scaled by `io_races.SCALE` and the lock is held `CONTENTION` s, longer than
  that wait: the suite's scenario in `tests/test_thread_safety.py` (a 6 s writer
  against the default 5 s) made fast. "database is locked" is the race. A fix that
  waits with its own `PRAGMA busy_timeout` (the pool's) keeps it unscaled, so the
  certificate proves it waits out the writer, not how long it would wait.
"""

from __future__ import annotations

import builtins
import importlib
from typing import Callable

from ..racetest import WindowHold, run_together
from .arguments import Unbuildable
from .drive import Report, describe, report
from .file_creates import install_create, run_file_create
from .io_races import install_io, run_file_write, run_sqlite
from .load_save import install_load_save, run_load_save
from .state_races import run_rmw, run_shared
from .torn_reads import install_torn_read, run_torn_read
from .walk_races import run_walk
from .targets import driven_calls, resolve


# -- creation races (CRL101-CRL105) ----------------------------------------------------

def run_creation(spec: dict, threads: int, timeout: float) -> Report:
    hold = WindowHold(parties=threads, timeout=timeout)
    builtins.__racelint_hold__ = hold  # type: ignore[attr-defined]
    module = importlib.import_module(spec["module"])
    entry = spec["entry"]
    if entry.endswith("()"):
        target = getattr(module, entry[:-2])
    elif entry != spec["function"]:  # a closure bound at module level (`get_a`)
        target = getattr(module, entry)
    else:  # with its arguments: inferred from the module (the first set) or built from annotations
        target = resolve(module, spec["function"], None).call
    run = run_together(threads, lambda _i: target())
    distinct = len({id(r) for r in run.results})
    return report(reached=hold.arrivals > 0, raced=hold.arrivals > 1, serialised=hold.arrivals == 1 and hold.timeouts >= 1,
                  detail=f"{hold.arrivals} threads performed the act together", arrivals=hold.arrivals,
                  timeouts=hold.timeouts, errors=[describe(e) for e in run.errors], distinct=distinct)


SCENARIOS: dict[str, Callable[[dict, int, float], Report]] = {
    "creation": run_creation,
    "rmw": run_rmw,
    "shared": run_shared,
    "walk": run_walk,
    "file-write": run_file_write,
    "file-create": run_file_create,
    "load-save": run_load_save,
    "torn-read": run_torn_read,
    "sqlite": run_sqlite,
}


def install(family: str) -> None:
    """Patches that must be in place before the user's module is imported."""
    install_io(family)
    install_create(family)
    install_load_save(family)
    install_torn_read(family)


def run(spec: dict, threads: int, timeout: float) -> Report:
    family = spec.get("family", "creation")
    if family not in SCENARIOS:
        return {"unrunnable": f"the {family} family has no barrier reproducer: only frontrun drives it ({'install cortex-racelint[confirm]'})"}
    if family == "rmw" and spec.get("other_function"):  # the barrier runs one method on every thread
        return {"unrunnable": (f"a reset racing `{spec['other_function']}()` has no barrier reproducer: only frontrun's "
                               "model runs the pair")}
    try:
        driven_calls()  # forget the previous run's
        result = SCENARIOS[family](spec, threads, timeout)
        entry = spec["entry"]
        result.setdefault("driven", driven_calls() or (entry if entry.endswith("()") else f"{entry}()"))
        return result
    except Unbuildable as error:
        return {"unrunnable": str(error)}
