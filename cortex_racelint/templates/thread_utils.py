"""Thread-safe lazy singletons and a counter for free-threaded Python.

Why: ``if _inst is None: _inst = Make()`` lets two threads both see ``None``
and build two instances; ``functools.cache``/``cached_property`` may also call
the factory more than once on free-threaded builds, and ``n += 1`` loses
updates.  These helpers serialise the check-and-create (double-checked
locking: a lock-free fast path once initialised) and the read-modify-write.
Locks are recreated in a forked child, where a parent thread may have held them.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from typing import Any, Callable, Dict, Generic, Hashable, Tuple, TypeVar

__all__ = ["AtomicCounter", "LazySingleton", "lazy_singleton", "thread_safe_singleton"]

T = TypeVar("T")
_UNSET: Any = object()
_lock_owners: "weakref.WeakSet[Any]" = weakref.WeakSet()  # objects to re-lock after fork


class LazySingleton(Generic[T]):
    """Zero-arg accessor that calls ``factory`` at most once (until ``reset()``).

    A ``None`` result is cached too; an exception is not (the next call retries).
    A factory that calls its own accessor raises ``RuntimeError`` instead of
    deadlocking.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: Any = _UNSET
        self._lock = threading.RLock()
        self._builder = 0  # ident of the thread running the factory, 0 if none
        functools.update_wrapper(self, factory, updated=())
        _lock_owners.add(self)

    def __call__(self) -> T:
        value = self._value
        if value is _UNSET:
            with self._lock:
                value = self._value
                if value is _UNSET:
                    if self._builder == threading.get_ident():
                        raise RuntimeError(f"{self._factory!r} called its own singleton accessor")
                    self._builder = threading.get_ident()
                    try:
                        value = self._factory()
                    finally:
                        self._builder = 0
                    self._value = value
        return value  # type: ignore[no-any-return]

    @property
    def initialized(self) -> bool:
        """True once the factory has produced a value."""
        return self._value is not _UNSET

    def reset(self) -> None:
        """Forget the instance (for tests); the next call runs the factory again."""
        with self._lock:
            self._value = _UNSET

    def _reinit_lock(self) -> None:
        self._lock = threading.RLock()
        self._builder = 0


def lazy_singleton(factory: Callable[[], T]) -> LazySingleton[T]:
    """Wrap ``factory`` (also usable as a decorator) in a thread-safe lazy accessor."""
    return LazySingleton(factory)


class _KeyedInstances:
    """Per-class store for ``thread_safe_singleton``: one instance per call key."""

    def __init__(self, cls: Callable[..., Any]) -> None:
        self.cls = cls
        self.instances: Dict[Hashable, Any] = {}
        self.lock = threading.RLock()  # reentrant: a constructor may ask for another key
        _lock_owners.add(self)

    def get(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        try:
            inst = self.instances.get(key, _UNSET)
        except TypeError as e:
            raise TypeError(
                f"{getattr(self.cls, '__qualname__', self.cls)} singleton arguments must be "
                f"hashable: {e}"
            ) from None
        if inst is _UNSET:
            with self.lock:
                inst = self.instances.get(key, _UNSET)
                if inst is _UNSET:
                    inst = self.cls(*args, **kwargs)
                    self.instances[key] = inst
        return inst

    def reset(self) -> None:
        with self.lock:
            self.instances.clear()

    def _reinit_lock(self) -> None:
        self.lock = threading.RLock()


def thread_safe_singleton(cls: Callable[..., T]) -> Callable[..., T]:
    """Class decorator: calls with equal (hashable) arguments return one shared instance.

    The result is a function (``isinstance`` checks need ``.__wrapped__``),
    carrying the class's name/doc, ``__wrapped__`` and ``reset()`` for tests.
    """
    store = _KeyedInstances(cls)

    def get_instance(*args: Any, **kwargs: Any) -> T:
        return store.get(args, kwargs)  # type: ignore[no-any-return]

    functools.update_wrapper(get_instance, cls, updated=())
    get_instance.reset = store.reset  # type: ignore[attr-defined]
    get_instance._instances = store.instances  # type: ignore[attr-defined]
    return get_instance


class AtomicCounter:
    """An integer counter whose read-modify-write is serialised by a lock."""

    def __init__(self, initial: int = 0) -> None:
        self._value = initial
        self._lock = threading.Lock()
        _lock_owners.add(self)

    def increment(self, n: int = 1) -> int:
        """Add ``n`` and return the new value."""
        with self._lock:
            self._value += n
            return self._value

    def decrement(self, n: int = 1) -> int:
        """Subtract ``n`` and return the new value."""
        return self.increment(-n)

    @property
    def value(self) -> int:
        """Current value."""
        with self._lock:
            return self._value

    def __repr__(self) -> str:
        return f"AtomicCounter({self.value})"

    def _reinit_lock(self) -> None:
        self._lock = threading.Lock()


def _after_fork_in_child() -> None:
    for owner in list(_lock_owners):
        owner._reinit_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
