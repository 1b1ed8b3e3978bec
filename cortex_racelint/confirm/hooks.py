"""Runtime hooks the child installs to hold a race window open without editing the code.

* `hook_attribute`: `self.<attr>` becomes a property on a throw-away subclass of the
  object's class, so a thread can be held right after it read or wrote the attribute.
  That is the test-only yield point a window without a call needs: the accesses of
  the original code, in their order, with a pause in between.
* `FileWrites`: `open()`/`io.open()` (and so `Path.write_text`) return, for a writer
  inside the window, a file whose first `write()` writes half, flushes, and waits
  (an appender waits before writing).
* `Sqlite`: `sqlite3.connect()` with its `timeout` (default 5 s) scaled down, recording
  each statement a driven thread executes, so contention longer than that wait is
  reproduced in fractions of a second. A `PRAGMA busy_timeout` the code sets itself is
  its own contention policy and is kept: SQLite's busy handler sleeps in steps of up
  to 100 ms that no scale applies to, so a scaled busy timeout would fail for lack of
  retries, not because of the code.
"""

from __future__ import annotations

import builtins
import io
import os
import re
import sqlite3
import sys
import threading
import time
from types import FrameType
from typing import Any, Callable, Optional


class RacelintStop(BaseException):
    """Raised in a driven thread after the verdict, to unwind endless loops."""


def window_frame(filename: str, function: str, line: Optional[int], depth: int = 2, limit: int = 12) -> Optional[FrameType]:
    """The frame of `function` (in `filename`) on the caller's stack, at `line` if given."""
    frame: Optional[FrameType] = sys._getframe(depth)
    for _ in range(limit):
        if frame is None:
            return None
        code = frame.f_code
        if code.co_name == function and code.co_filename == filename:
            return frame if line is None or frame.f_lineno == line else None
        frame = frame.f_back
    return None


# -- attributes ----------------------------------------------------------------------

Observer = Callable[[Any, str, Any, FrameType], None]


def hook_attribute(obj: Any, attr: str, before_set: Observer, after_access: Observer) -> None:
    """Route `obj.<attr>` through a property; observers get (obj, "read"/"write", value, frame)."""
    cls = type(obj)

    def fget(self: Any) -> Any:
        try:
            value = self.__dict__[attr]
        except KeyError:
            value = getattr(cls, attr)
        after_access(self, "read", value, sys._getframe(1))
        return value

    def fset(self: Any, value: Any) -> None:
        frame = sys._getframe(1)
        before_set(self, "write", value, frame)
        self.__dict__[attr] = value
        after_access(self, "write", value, frame)

    def fdel(self: Any) -> None:
        del self.__dict__[attr]

    subclass = type(cls.__name__, (cls,), {attr: property(fget, fset, fdel), "__module__": cls.__module__})
    subclass.__qualname__ = cls.__qualname__
    try:
        obj.__class__ = subclass
    except TypeError as error:
        raise TypeError(f"cannot watch `{attr}` on `{cls.__name__}` objects: {error}") from error
    if not hasattr(obj, "__dict__"):
        raise TypeError(f"`{cls.__name__}` objects have no __dict__")


# -- file writes ---------------------------------------------------------------------

_WRITING = re.compile(r"[wax+]")


class HeldFile:
    """A file proxy whose first `write()` writes half, flushes, and calls `hold`.

    An appender is held before it writes anything: the check that usually precedes an
    append (`if MARKER not in content`) must see the file as the other writers do.
    """

    def __init__(self, file: Any, hold: Callable[[], None], split: bool = True) -> None:
        self._file = file
        self._hold = hold
        self._held = False
        self._split = split

    def write(self, data: Any) -> Any:
        if self._held:
            return self._file.write(data)
        self._held = True
        half = len(data) // 2 if self._split else 0
        written = self._file.write(data[:half])
        self._file.flush()
        self._hold()
        rest = self._file.write(data[half:])
        return (written or 0) + (rest or 0)

    def __enter__(self) -> "HeldFile":
        self._file.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._file.__exit__(*exc)

    def __iter__(self) -> Any:
        return iter(self._file)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def opened_path(file: Any) -> Optional[str]:
    """The real path an `open()` call names (None for a descriptor or an object that is no path):
    the key the file families match a window's file by."""
    if isinstance(file, int):
        return None
    try:
        return os.path.realpath(os.fsdecode(os.fspath(file)))
    except TypeError:
        return None


def _fd_path(fd: int) -> str:
    """The file behind a descriptor (`os.fdopen` of a `mkstemp` temp file)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return f"<fd {fd}>"


class FileWrites:
    """Patch `open` so writers opened inside the window hold there; `hold(path)` decides."""

    def __init__(self, in_window: Callable[[], bool], hold: Callable[[str], None]) -> None:
        self.in_window = in_window
        self.hold = hold
        self.real_open = io.open

    def install(self) -> None:
        real = self.real_open

        def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real(file, mode, *args, **kwargs)
            if not _WRITING.search(mode) or not self.in_window():
                return handle
            path = _fd_path(file) if isinstance(file, int) else os.path.realpath(os.fspath(file))
            return HeldFile(handle, lambda: self.hold(path), split="a" not in mode)

        builtins.open = hooked_open
        io.open = hooked_open


# -- sqlite --------------------------------------------------------------------------

class Sqlite:
    """`sqlite3.connect` with a scaled `timeout`; records statements run by driven threads."""

    def __init__(self, scale: float, driven: Callable[[], bool]) -> None:
        self.scale = scale
        self.driven = driven
        self.real_connect = sqlite3.connect
        self.paths: list[str] = []
        self.statements = 0  # executed by driven threads
        self.running: dict[int, float] = {}  # thread -> start of the statement it is in
        self.lock = threading.Lock()

    def _execute(self, method: Callable[..., Any], sql: Any, *args: Any) -> Any:
        if not self.driven():
            return method(sql, *args)
        ident = threading.get_ident()
        with self.lock:
            self.statements += 1
            self.running[ident] = time.monotonic()
        try:
            return method(sql, *args)
        finally:
            with self.lock:
                self.running.pop(ident, None)

    def install(self) -> None:
        hooks = self

        class Cursor(sqlite3.Cursor):
            def execute(self, sql: Any, *args: Any) -> Any:  # type: ignore[override]
                return hooks._execute(super().execute, sql, *args)

            def executemany(self, sql: Any, *args: Any) -> Any:  # type: ignore[override]
                return hooks._execute(super().executemany, sql, *args)

            def executescript(self, sql: Any) -> Any:  # type: ignore[override]
                return hooks._execute(super().executescript, sql)

        class Connection(sqlite3.Connection):
            def cursor(self, factory: Any = Cursor) -> Any:  # type: ignore[override]
                return super().cursor(factory)

            def execute(self, sql: Any, *args: Any) -> Any:  # type: ignore[override]
                return self.cursor().execute(sql, *args)

            def executemany(self, sql: Any, *args: Any) -> Any:  # type: ignore[override]
                return self.cursor().executemany(sql, *args)

            def executescript(self, sql: Any) -> Any:  # type: ignore[override]
                return self.cursor().executescript(sql)

        def connect(database: Any, timeout: float = 5.0, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("factory", Connection)
            target = os.fsdecode(os.fspath(database)) if not isinstance(database, str) else database
            if target not in (":memory:", "") and not target.startswith("file:"):
                with self.lock:
                    if os.path.realpath(target) not in self.paths:
                        self.paths.append(os.path.realpath(target))
            return self.real_connect(database, timeout * self.scale, *args, **kwargs)

        sqlite3.connect = connect  # type: ignore[assignment]
