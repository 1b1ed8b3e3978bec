"""Deterministic race reproduction on any CPython build: hold the race window open.

Under the GIL a thread switch happens only at calls and backward jumps, so random
hammering almost never splits a short check-then-act. Instead, a call inside the window
(the constructor in `_x = X()`, the `write` of a file update) is patched to wait on a
`threading.Barrier` until every competing thread has reached it. On racy code all the
threads get inside the window together and the race happens every run; on fixed code
only one thread can be inside, the barrier times out, and that timeout is itself the
proof that the lock serialised the window.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class WindowHold:
    """A hook to call inside the race window; counts arrivals and barrier timeouts."""

    parties: int
    timeout: float = 1.0
    arrivals: int = 0
    timeouts: int = 0
    _barrier: threading.Barrier = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._barrier = threading.Barrier(self.parties, timeout=self.timeout)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.arrivals += 1
        try:
            self._barrier.wait()
        except threading.BrokenBarrierError:
            with self._lock:
                self.timeouts += 1

    @property
    def serialised(self) -> bool:
        """True when the threads could not all be inside the window at once."""
        return self.timeouts > 0


@dataclass
class ThreadRun:
    results: list[Any]
    errors: list[BaseException]


def run_together(count: int, target: Callable[[int], Any], join_timeout: float = 30.0) -> ThreadRun:
    """Start `count` threads released at the same instant; collect results and errors."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    errors_lock = threading.Lock()

    def body(index: int) -> None:
        start.wait()
        try:
            results[index] = target(index)
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            with errors_lock:
                errors.append(error)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join_timeout)
        if thread.is_alive():
            raise TimeoutError(f"a racing thread did not finish within {join_timeout}s (deadlock?)")
    return ThreadRun(results, errors)


def hold_constructor(cls: type, hold: WindowHold) -> type:
    """A subclass of `cls` whose construction waits inside the race window."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        hold()
        cls.__init__(self, *args, **kwargs)

    return type(cls.__name__, (cls,), {"__init__": __init__})


def load_module_from_source(source: str | bytes, name: str, path: Optional[str] = None):
    """Execute source as a fresh module object (not registered in sys.modules)."""
    import types

    module = types.ModuleType(name)
    module.__file__ = path or f"<{name}>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def holding_super(hold: Callable[[], None]) -> Callable[..., Any]:
    """A stand-in for the builtin `super` that waits in the window before delegating.

    Installed as a module global (`module.super = holding_super(hold)`), it holds the
    window of a `__new__` singleton at `super().__new__(cls)`. Zero-argument `super()`
    is rebuilt from the caller's frame (its `__class__` cell and first argument).
    """
    import builtins
    import sys

    def shim(*args: Any) -> Any:
        hold()
        if args:
            return builtins.super(*args)
        frame = sys._getframe(1)
        owner = frame.f_locals["__class__"]
        first = frame.f_locals[frame.f_code.co_varnames[0]]
        return builtins.super(owner, first)

    return shim
