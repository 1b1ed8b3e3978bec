"""Reproducer run for a file created after an existence check (CRL303).

The window is between the check and the create, before anything is written: each driven
thread is held just before it opens the file for writing (`open` with a writing mode, or
`os.open` with `O_CREAT`) inside the finding's function, so the others pass their own check
first. Two creates of the same file that both succeed are the race (the later truncated what
the earlier wrote). A fix lets one thread in (the hold times out) and the others then find the
file, or their exclusive create fails (`FileExistsError`): one create.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import sys
import sysconfig
import threading
from types import FrameType
from typing import Any, Callable, Optional

from .drive import Report, join, report, start_threads
from .io_races import Gather
from .targets import build_instance, resolve

_WRITING = frozenset("wxa+")
_STDLIB = sysconfig.get_paths()["stdlib"]


def _standard_library(filename: str) -> bool:
    return filename.startswith(_STDLIB) and "-packages" not in filename


class _CreateRun:
    def __init__(self, threads: int, timeout: float, filename: str, function: str) -> None:
        self.hold = Gather(parties=threads, timeout=timeout)
        self.driven: dict[int, int] = {}
        self.filename, self.function = filename, function
        self.created: dict[str, int] = {}
        self.lock = threading.Lock()

    def in_window(self) -> bool:
        """A driven thread's create made by the finding's function itself (directly or through the
        standard library, `Path.write_text`), not by a helper it calls: `locked(path)` opening its
        `.lock` file is the fix's lock, not a create of the file."""
        if threading.get_ident() not in self.driven:
            return False
        frame: Optional[FrameType] = sys._getframe(1)
        while frame is not None and (frame.f_code.co_filename == __file__ or _standard_library(frame.f_code.co_filename)):
            frame = frame.f_back
        return frame is not None and frame.f_code.co_name == self.function and frame.f_code.co_filename == self.filename

    def create(self, path: Any, opener: Callable[[], Any]) -> Any:
        """Hold, then open; count the creates that succeeded."""
        self.hold()
        handle = opener()
        name = os.path.realpath(os.fsdecode(os.fspath(path))) if not isinstance(path, int) else str(path)
        with self.lock:
            self.created[name] = self.created.get(name, 0) + 1
        return handle


_RUN: list[_CreateRun] = []


def _active() -> Optional[_CreateRun]:
    run = _RUN[-1] if _RUN else None
    return run if run is not None and run.in_window() else None


class _Hook:
    """`open`/`io.open`/`os.open` held before a driven thread creates a file in the window."""

    def __init__(self) -> None:
        self.real_open = io.open
        self.real_os_open = os.open
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        real_open, real_os_open = self.real_open, self.real_os_open

        def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            run = _active() if _WRITING & set(mode) else None
            if run is None:
                return real_open(file, mode, *args, **kwargs)
            return run.create(file, lambda: real_open(file, mode, *args, **kwargs))

        def hooked_os_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
            run = _active() if flags & os.O_CREAT else None
            if run is None:
                return real_os_open(path, flags, mode, *args, **kwargs)
            return run.create(path, lambda: real_os_open(path, flags, mode, *args, **kwargs))

        builtins.open = hooked_open
        io.open = hooked_open
        os.open = hooked_os_open


_HOOK = _Hook()


def install_create(family: str) -> None:
    """Install the hook before the user's module is imported (it may bind `from os import open`)."""
    if family == "file-create":
        _HOOK.install()


def run_file_create(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = build_instance(module, spec["function"])
    target = resolve(module, spec["function"], instance)
    run = _CreateRun(threads, timeout, module.__file__, target.function)
    _RUN[:] = [run]
    try:
        started, errors = start_threads([target.call] * threads, run.driven)
        join(started, 10 + 2 * timeout)
    finally:
        _RUN.clear()
    errors = [e for e in errors if not e.startswith("FileExistsError")]  # a fix's loser, if it re-raises
    most = max(run.created.values(), default=0)
    name = max(run.created, key=run.created.get).rsplit("/", 1)[-1] if run.created else "?"
    reached = run.hold.arrivals > 0
    serialised = reached and most <= 1 and run.hold.timeouts > 0
    if most > 1:
        detail = f"{most} callers created `{name}` after its check; the later truncated what the earlier wrote"
    else:
        how = "the hold timed out" if run.hold.timeouts else "no second create"
        detail = f"one create of each file ({how})"
    return report(reached=reached, raced=most > 1, serialised=serialised, detail=detail,
                  arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)
