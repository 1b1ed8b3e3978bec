"""The barrier reproducer of CRL303: two first users race between the existence check and the create.

Why not frontrun: the window is between two Python-level steps (the check, the create), but what the
two threads share there is the file system, not a Python object. frontrun's DPOR reorders threads only
at conflicting accesses it sees (attributes, globals, locks); without its `LD_PRELOAD` I/O layer (which
needs its launcher, see docs/CONFIRM.md) `exists()` and `os.open()` touch nothing it tracks, so every
interleaving is equivalent to a serial one and it would report "holds" on the racy code (the fix-safety
cases reorder the checks only because they put a Python-level access in the window on purpose).

The barrier holds every driven thread once, at the first of: right after a check that said "absent"
(`os.path.exists`, `os.path.isfile`, `Path.exists`, `Path.is_file` returning False), or just before it
creates the file (a writing `open`, `Path.write_text` through it, `os.open` with `O_CREAT`). Only the
finding's function's own checks and creates count, directly or through the standard library: a helper
it calls (`locked(path)` opening `<path>.lock` with `O_CREAT`) is the fix's lock, not a create of the
file. The race, in the rule's words: two successful creates of one file (the later truncated what the
earlier wrote), or a caller returning a text/bytes value the file does not hold at the end (all callers
must end with the content the file holds: both keep the same key). A fix holding a lock from the check
through the create lets one thread in: its hold times out alone, the proof the window is serialised.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import os.path
import pathlib
import sys
import sysconfig
import threading
from types import FrameType
from typing import Any, Callable, Optional

from .drive import Report, describe, join, report
from .io_races import Gather
from .targets import instance_for, resolve

_WRITING = frozenset("wxa+")
_STDLIB = sysconfig.get_paths()["stdlib"]


def _standard_library(filename: str) -> bool:
    return filename.startswith(_STDLIB) and "-packages" not in filename


class _Run:
    def __init__(self, threads: int, timeout: float, filename: str, function: str) -> None:
        self.hold = Gather(parties=threads, timeout=timeout)
        self.filename, self.function = filename, function
        self.driven: dict[int, int] = {}
        self.held: set[int] = set()
        self.created: dict[str, int] = {}
        self.lock = threading.Lock()

    def in_window(self) -> bool:
        """A driven thread's check or create made by the finding's function itself (or the standard library
        on its behalf), not by a helper it calls."""
        if threading.get_ident() not in self.driven:
            return False
        frame: Optional[FrameType] = sys._getframe(1)
        while frame is not None and (frame.f_code.co_filename == __file__ or _standard_library(frame.f_code.co_filename)):
            frame = frame.f_back
        return frame is not None and frame.f_code.co_name == self.function and frame.f_code.co_filename == self.filename

    def wait_once(self) -> None:
        """A first user is past its check (or at its create): wait there for the others, once per thread."""
        me = threading.get_ident()
        if me not in self.held:
            self.held.add(me)
            self.hold()

    def create(self, path: Any, opener: Callable[[], Any]) -> Any:
        """Hold (if the check did not), then open; count the creates that succeeded."""
        self.wait_once()
        handle = opener()
        name = os.path.realpath(os.fsdecode(os.fspath(path))) if not isinstance(path, int) else str(path)
        with self.lock:
            self.created[name] = self.created.get(name, 0) + 1
        return handle


_RUN: list[_Run] = []


def _active() -> Optional[_Run]:
    run = _RUN[-1] if _RUN else None
    return run if run is not None and run.in_window() else None


def _check(real: Callable[..., bool]) -> Callable[..., bool]:
    def checked(*args: Any, **kwargs: Any) -> bool:
        result = real(*args, **kwargs)
        run = _active() if not result else None
        if run is not None:
            run.wait_once()
        return result

    return checked


class _Hook:
    """The checks and the creating opens, patched once per child before the user's module is imported
    (it may bind `from os.path import exists` or `from os import open`)."""

    installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        for owner, name in ((os.path, "exists"), (os.path, "isfile"), (pathlib.Path, "exists"), (pathlib.Path, "is_file")):
            setattr(owner, name, _check(getattr(owner, name)))
        real_open, real_os_open = io.open, os.open

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

        builtins.open = io.open = hooked_open
        os.open = hooked_os_open


_HOOK = _Hook()


def install_create(family: str) -> None:
    if family == "file-create":
        _HOOK.install()


def _differs(value: Any, path: str) -> bool:
    """A caller's text/bytes result that is not what the file holds (other results are not comparable)."""
    if not isinstance(value, (str, bytes)) or not os.path.isabs(path):
        return False
    try:
        with io.FileIO(path, "r") as f:
            held = f.read()
    except OSError:
        return False
    mine = value.encode() if isinstance(value, str) else value
    return mine.strip() != held.strip()


def run_file_create(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    target = resolve(module, spec["function"], instance_for(module, spec))
    run = _Run(threads, timeout, module.__file__, target.function)
    results: dict[int, Any] = {}
    errors: list[str] = []
    start = threading.Barrier(threads)

    def body(index: int) -> None:
        run.driven[threading.get_ident()] = index
        try:
            start.wait(5)
        except threading.BrokenBarrierError:
            pass
        try:
            results[index] = target.call()
        except FileExistsError:
            pass  # a fix's loser, if it re-raises: not the race
        except Exception as error:  # noqa: BLE001 - reported, not the race
            errors.append(describe(error))

    _RUN[:] = [run]
    try:
        started = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
        for thread in started:
            thread.start()
        join(started, 10 + 2 * timeout)
    finally:
        _RUN.clear()
    path, most = max(run.created.items(), key=lambda item: item[1], default=("", 0))
    name = path.rsplit("/", 1)[-1] or "?"
    differ = sum(1 for value in results.values() if path and _differs(value, path))
    raced = most > 1 or differ > 0
    reached = run.hold.arrivals > 0
    if raced:
        detail = (f"{most} callers created `{name}` after its check (the later truncated what the earlier wrote); "
                  f"{differ} of {len(results)} callers returned a value the file does not hold")
    else:
        how = "the hold timed out" if run.hold.timeouts else "no second create"
        detail = f"one create of each file ({how}); every caller returned what the file holds"
    return report(reached=reached, raced=raced, serialised=reached and not raced and run.hold.timeouts > 0,
                  detail=detail, arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)
