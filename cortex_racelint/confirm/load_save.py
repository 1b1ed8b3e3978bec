"""The barrier reproducer of CRL304: callers held between their load and their save of one file.

Every driven thread that has read the file (closed a read-mode handle it opened while the
finding's function is on its stack, directly or through a loading helper) waits once at a
`Gather` barrier for the others to load too. Each thread remembers which version of the file
it loaded; the driven threads' saves of it (a writing `open`, or an `os.replace`/`os.rename`
onto it) count versions. A save by a thread whose loaded version another save has since
replaced is the race, in the rule's words: that save drops the entry the other caller added.
With one lock from the load through the save only one thread is inside: its hold times out
(a broken barrier lets the later ones pass at once), and every save starts from the last.

Why not frontrun: as for CRL303 (`file_creates.py`), what the threads share is the file, which
DPOR does not see without its I/O layer.
"""

from __future__ import annotations

import builtins
import importlib
import io
import os
import threading
from typing import Any, Optional

from .drive import Report, join, report, start_threads
from .hooks import opened_path, window_frame
from .io_races import Gather
from .targets import instance_for, resolve

_WRITING = frozenset("wxa+")


class _Run:
    def __init__(self, threads: int, timeout: float, filename: str, function: str) -> None:
        self.hold = Gather(parties=threads, timeout=timeout)
        self.filename, self.function = filename, function
        self.driven: dict[int, int] = {}
        self.loaded: dict[tuple[int, str], int] = {}  # (thread, file) -> version it loaded
        self.versions: dict[str, int] = {}
        self.held: set[int] = set()
        self.saves = self.lost = 0
        self.lock = threading.Lock()

    def in_window(self) -> bool:
        if threading.get_ident() not in self.driven:
            return False
        return window_frame(self.filename, self.function, None, depth=1, limit=24) is not None

    def loaded_file(self, path: str) -> None:
        me = threading.get_ident()
        with self.lock:
            self.loaded[(me, path)] = self.versions.get(path, 0)
        if me not in self.held:
            self.held.add(me)
            self.hold()

    def saving(self, path: str) -> None:
        me = threading.get_ident()
        with self.lock:
            current = self.versions.get(path, 0)
            mine = self.loaded.pop((me, path), None)
            if mine is None:
                return  # not a save of what this thread loaded
            self.saves += 1
            self.lost += int(mine != current)
            self.versions[path] = current + 1


class _LoadedFile:
    """A read handle that reports the load when it is closed (the content is in the caller's copy then)."""

    def __init__(self, file: Any, done: Any) -> None:
        self._file, self._done, self._closed = file, done, False

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            self._done()

    def close(self) -> None:
        self._file.close()
        self._finish()

    def __enter__(self) -> "_LoadedFile":
        self._file.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        result = self._file.__exit__(*exc)
        self._finish()
        return result

    def __iter__(self) -> Any:
        return iter(self._file)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


_RUN: list[_Run] = []


def _active() -> Optional[_Run]:
    run = _RUN[-1] if _RUN else None
    return run if run is not None and run.in_window() else None


class _Hook:
    """`open` and `os.replace`/`os.rename`, patched once per child before the user's module is imported."""

    installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        real_open, real_replace, real_rename = io.open, os.replace, os.rename

        def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            run = _active()
            path = opened_path(file) if run is not None else None
            if run is None or path is None:
                return real_open(file, mode, *args, **kwargs)
            if _WRITING & set(mode):
                run.saving(path)
                return real_open(file, mode, *args, **kwargs)
            return _LoadedFile(real_open(file, mode, *args, **kwargs), lambda: run.loaded_file(path))

        def publishing(real: Any) -> Any:
            def hooked(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
                run = _active()
                path = opened_path(dst) if run is not None else None
                if run is not None and path is not None:
                    run.saving(path)
                return real(src, dst, *args, **kwargs)

            return hooked

        builtins.open = io.open = hooked_open
        os.replace, os.rename = publishing(real_replace), publishing(real_rename)


_HOOK = _Hook()


def install_load_save(family: str) -> None:
    if family == "load-save":
        _HOOK.install()


def run_load_save(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    target = resolve(module, spec["function"], instance_for(module, spec))
    run = _Run(threads, timeout, module.__file__, target.function)
    try:  # one call first, outside the window: a caller finding no file loads nothing, so none would be held
        target.call()
    except Exception:  # noqa: BLE001 - the driven calls report their own errors
        pass
    _RUN[:] = [run]
    try:
        started, errors = start_threads([target.call] * threads, run.driven)
        join(started, 10 + 2 * timeout)
    finally:
        _RUN.clear()
    reached = run.hold.arrivals > 0
    raced = run.lost > 0
    if raced:
        detail = (f"{run.lost} of {run.saves} saves started from a load another caller's save had replaced: "
                  "each drops the entries that caller added")
    else:
        how = "the hold timed out" if run.hold.timeouts else "no second caller loaded it"
        detail = f"every save started from the last saved version ({how})"
    return report(reached=reached, raced=raced, serialised=reached and not raced and run.hold.timeouts > 0,
                  detail=detail, arrivals=run.hold.arrivals, timeouts=run.hold.timeouts, errors=errors)


__all__ = ["install_load_save", "run_load_save"]
