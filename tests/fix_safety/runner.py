"""One case variant in a child process: import it, run its drivers, explore its threads with frontrun.

The harness (`harness.py`) starts this module with a wall-clock timeout, so a hang (a real deadlock
outside frontrun's view, an infinite loop) kills only this process. Each step prints one JSON line as
soon as it finishes; the parent reads the last line it got to name the step that hung.

    python -m tests.fix_safety.runner FOLDER [--explore]

FOLDER holds `case_module.py` (the module under test, original or fixed; a multi-module case's package
`case_module/` instead) and `case_drivers.py` (the
drivers below the case's marker). The repository root goes on `sys.path` so the helpers a fix imports
(`cortex.utils.db_pool`, `cortex.utils.fileio`) resolve.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import frontrun  # first: it saves the real threading primitives at import, before anyone patches them
from frontrun._cooperative import patch_locks

from tests.fix_safety import self_deadlock

REPO = Path(__file__).resolve().parents[2]
MODULE_NAME = "case_module"  # registered in sys.modules: pickle and copy find classes through it
DRIVERS_NAME = "case_drivers"
PREEMPTION_BOUND = 2
MAX_EXECUTIONS = 300
DEADLOCK_TIMEOUT = 2.0
EXPLORATION_BUDGET = 20.0
SINGLE_THREADED_WATCHDOG = 5.0  # the drivers run in milliseconds; longer means blocked for good


def emit(step: str, **fields: Any) -> None:
    """Report one finished step to the parent at once (flushed: a later hang must not swallow it)."""
    stream = sys.__stdout__  # not sys.stdout: a case may redirect it (contextlib.redirect_stdout)
    assert stream is not None
    stream.write(json.dumps({"step": step, **fields}) + "\n")
    stream.flush()


def load(path: Path, name: str) -> ModuleType:
    """Execute `path` as a brand-new module `name`: every exploration starts from fresh globals."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_case_module(folder: Path) -> ModuleType:
    """The module under test: `case_module.py`, or a multi-module case's package `case_module/` with every
    module imported (`m.NAME`), imported afresh (a package's modules import each other: all are dropped)."""
    package = folder / MODULE_NAME
    if not package.is_dir():
        return load(folder / f"{MODULE_NAME}.py", MODULE_NAME)
    for name in [name for name in sys.modules if name == MODULE_NAME or name.startswith(MODULE_NAME + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    module = importlib.import_module(MODULE_NAME)
    for path in sorted(package.glob("*.py")):
        if path.stem != "__init__":
            importlib.import_module(f"{MODULE_NAME}.{path.stem}")
    return module


def forget_helpers() -> None:
    """Drop the repo's helper modules (`cortex.utils.*`) so the next import re-creates their locks.

    Locks made before `patch_locks()` are real: a thread blocked on one stalls frontrun's scheduler.
    Re-imported per execution, the helpers' locks are cooperative and their registries fresh.
    """
    for name in [name for name in sys.modules if name == "cortex" or name.startswith("cortex.")]:
        del sys.modules[name]


class _State:
    """What frontrun's `setup` hands each worker: a fresh module and the thread bodies bound to it."""

    def __init__(self, folder: Path, drivers: ModuleType) -> None:
        forget_helpers()
        self.module = load_case_module(folder)
        self.bodies: list[Callable[[], Any]] = list(drivers.threaded(self.module))


def explore(folder: Path, drivers: ModuleType) -> dict[str, Any]:
    """DPOR over the case's thread bodies; every execution gets a freshly imported module."""
    count = len(drivers.threaded(load_case_module(folder)))
    check: Callable[[Any], bool] | None = getattr(drivers, "invariant", None)
    result = frontrun.explore(
        setup=lambda: _State(folder, drivers),
        workers=[lambda state, index=index: state.bodies[index]() for index in range(count)],
        invariant=(lambda state: bool(check(state.module))) if check else (lambda state: True),
        preemption_bound=PREEMPTION_BOUND,
        max_executions=MAX_EXECUTIONS,
        deadlock_timeout=DEADLOCK_TIMEOUT,
        total_timeout=EXPLORATION_BUDGET,
        reproduce_on_failure=0,
        detect_io=False,
    )
    return {
        "holds": result.property_holds,
        "explored": result.num_explored,
        "explanation": (result.explanation or result.inconclusive_reason or "")[:2000],
    }


def watched(function: Callable[[], Any], step: str) -> Any:
    """Run `function` on a daemon thread; if it has not returned in time, report where it is stuck and exit.

    A lock re-acquired by its holder is caught at once by `self_deadlock.OwnedLock`; this catches the rest
    (an RLock/Condition/Event wait nobody will end, an endless loop), where no exception can reach the
    stuck call; the stack names where it waits.
    """
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - re-raised on the main thread
            outcome["error"] = error

    worker = threading.Thread(target=body, name=step, daemon=True)
    worker.start()
    worker.join(SINGLE_THREADED_WATCHDOG)
    if worker.is_alive():
        frame = sys._current_frames().get(worker.ident or 0)
        stack = "".join(traceback.format_stack(frame)[-6:]) if frame else ""
        emit("error", error=f"{step} hung (blocked for {SINGLE_THREADED_WATCHDOG:.0f}s) at:\n{stack}")
        os._exit(3)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def main(argv: list[str]) -> int:
    folder = Path(argv[0]).resolve()
    sys.path[:0] = [str(folder), str(REPO)]
    self_deadlock.install(lambda report: (emit("error", error=report), os._exit(3)))
    try:
        drivers = load(folder / f"{DRIVERS_NAME}.py", DRIVERS_NAME)
        module = load_case_module(folder)
        emit("import")
        emit("single_threaded", output=repr(watched(lambda: drivers.single_threaded(module), "single_threaded")))
        if "--explore" in argv:
            self_deadlock.uninstall()
            forget_helpers()
            patch_locks()  # threading.Lock & co. become scheduler-aware; modules loaded from now on get them
            emit("explore", **explore(folder, drivers))
    except BaseException:  # noqa: BLE001 - reported to the parent, which decides
        emit("error", error=traceback.format_exc(limit=8)[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
