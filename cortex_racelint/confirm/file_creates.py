"""The barrier reproducer of CRL303: two first users race between the existence check and the create.

Why not frontrun: the window is between two Python-level steps (the check, the create), but what the
two threads share there is the file system, not a Python object. frontrun's DPOR reorders threads only
at conflicting accesses it sees (attributes, globals, locks); without its `LD_PRELOAD` I/O layer (which
needs its launcher, see docs/CONFIRM.md) `exists()` and `os.open()` touch nothing it tracks, so every
interleaving is equivalent to a serial one and it would report "holds" on the racy code. With the
layer, it schedules each syscall whole, so it could; racelint's children do not run under the launcher.

The barrier instead holds every driven thread right after a check that said "absent" (`os.path.exists`,
`os.path.isfile`, `Path.exists`, `Path.is_file` returning False inside the finding's function): all first
users are then past the check together. Creations are counted at the open: a successful `os.open` with
`O_CREAT`/`O_TRUNC`/`O_WRONLY`/`O_RDWR`, or an `open()` for writing (`w`, `x`, `a`, `+`; `Path.write_text`
goes through it). The race's consequence, the rule's words: two threads created (the later truncated the
earlier's content), or a caller returned a text/bytes value that is not what the file holds at the end
("all callers end with the content the file holds": both keep the same key). A fix holding a lock from the
check through the create lets one thread in: the hold times out alone, the proof the window is serialised.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import os.path
import pathlib
import threading
from typing import Any, Callable

from .drive import Report, describe, join, report
from .hooks import window_frame
from .io_races import Gather
from .targets import instance_for, resolve

_CREATE_FLAGS = os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_RDWR
_WRITE_MODES = ("w", "x", "a", "+")


class _Run:
    def __init__(self, threads: int, timeout: float, filename: str, function: str) -> None:
        self.hold = Gather(parties=threads, timeout=timeout)
        self.filename, self.function = filename, function
        self.driven: dict[int, int] = {}
        self.held: set[int] = set()
        self.creators: dict[str, set[int]] = {}
        self.lock = threading.Lock()

    def in_window(self) -> bool:
        return threading.get_ident() in self.driven and \
            window_frame(self.filename, self.function, None, depth=3, limit=24) is not None

    def checked_absent(self) -> None:
        """A first user is past the check: wait there for the others (once per thread)."""
        me = threading.get_ident()
        if me in self.held or not self.in_window():
            return
        self.held.add(me)
        self.hold()

    def created(self, path: str) -> None:
        if threading.get_ident() in self.driven:
            with self.lock:
                self.creators.setdefault(path, set()).add(threading.get_ident())


_RUN: list[_Run] = []


def _current() -> Any:
    return _RUN[-1] if _RUN else None


def _check(real: Callable[..., bool]) -> Callable[..., bool]:
    def checked(*args: Any, **kwargs: Any) -> bool:
        result = real(*args, **kwargs)
        run = _current()
        if run is not None and not result:
            run.checked_absent()
        return result

    return checked


def install_file_create() -> None:
    """Patch the checks and the creating opens; before the user's module is imported (`from os.path import exists`)."""
    for owner, name in ((os.path, "exists"), (os.path, "isfile"), (pathlib.Path, "exists"), (pathlib.Path, "is_file")):
        setattr(owner, name, _check(getattr(owner, name)))
    real_os_open, real_open = os.open, io.open

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        fd = real_os_open(path, flags, *args, **kwargs)
        run = _current()
        if run is not None and flags & _CREATE_FLAGS:
            run.created(os.path.realpath(os.fspath(path)))
        return fd

    def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        run = _current()
        if run is not None and not isinstance(file, int) and any(m in mode for m in _WRITE_MODES):
            run.created(os.path.realpath(os.fspath(file)))
        return handle

    os.open = os_open
    builtins.open = io.open = hooked_open


def _differs(value: Any, path: str) -> bool:
    """A caller's text/bytes result that is not what the file holds (other results are not comparable)."""
    if not isinstance(value, (str, bytes)):
        return False
    try:
        with open(path, "rb") as f:
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
    path, creators = max(run.creators.items(), key=lambda item: len(item[1]), default=("", set()))
    name = path.rsplit("/", 1)[-1] or "?"
    differ = sum(1 for value in results.values() if path and _differs(value, path))
    raced = len(creators) > 1 or differ > 0
    reached = run.hold.arrivals > 0
    if raced:
        detail = (f"{len(creators)} first callers created `{name}` (the later truncated the earlier's content); "
                  f"{differ} of {len(results)} callers returned a value the file does not hold")
    else:
        how = "the hold timed out" if run.hold.timeouts else "no two callers were past the check together"
        detail = f"one caller created `{name}` and every caller returned what it holds ({how})"
    return report(reached=reached, raced=raced, serialised=reached and not raced and run.hold.timeouts > 0,
                  detail=detail, arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)
