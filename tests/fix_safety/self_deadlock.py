"""A `threading.Lock` that knows its holder, for the single-threaded stage of a case run.

A blocking acquire by the thread that already holds a plain lock can never return (the typical
broken fix: a non-reentrant lock taken again through recursion, a callback, or a second task of the
same event loop). Waiting for a watchdog would cost seconds per case; this lock reports the deadlock
at once, with the stack, and ends the process. Everything else is delegated to a real lock, so the
single-threaded behaviour being compared is unchanged.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

_real_lock = threading.Lock


class OwnedLock:
    """Duck-typed `threading.Lock` (works inside `Condition`/`Event`) that remembers its holder."""

    on_self_deadlock: Callable[[str], Any] = staticmethod(lambda report: None)

    def __init__(self) -> None:
        self._lock = _real_lock()
        self._owner: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if blocking and timeout < 0 and self._owner == threading.get_ident():
            stack = "".join(traceback.format_stack()[-7:-1])
            OwnedLock.on_self_deadlock(f"self-deadlock: a thread re-acquired a plain Lock it holds, at:\n{stack}")
        acquired = self._lock.acquire(blocking, timeout)
        if acquired:
            self._owner = threading.get_ident()
        return acquired

    def release(self) -> None:
        self._owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def _at_fork_reinit(self) -> None:  # os.register_at_fork hooks of stdlib modules call it
        self._lock._at_fork_reinit()  # type: ignore[attr-defined]
        self._owner = None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def install(on_self_deadlock: Callable[[str], Any]) -> None:
    """Make `threading.Lock()` (and everything built on it from now on) an `OwnedLock`."""
    OwnedLock.on_self_deadlock = staticmethod(on_self_deadlock)
    threading.Lock = OwnedLock  # type: ignore[misc, assignment]


def uninstall() -> None:
    threading.Lock = _real_lock  # type: ignore[misc]
