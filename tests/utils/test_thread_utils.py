"""Tests for cortex.utils.thread_utils, holding each race window open with a barrier."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, List, Optional

import pytest

from cortex.utils.thread_utils import AtomicCounter, LazySingleton, lazy_singleton, thread_safe_singleton

N = 16


def run_threads(targets: List[Callable[[], None]], timeout: float = 20.0) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "thread hung (deadlock?)"


class Window:
    """A factory that waits inside itself until all N threads have arrived (or times out)."""

    def __init__(self, timeout: float) -> None:
        self.barrier = threading.Barrier(N, timeout=timeout)
        self.broken = 0
        self.calls = 0

    def make(self) -> object:
        self.calls += 1
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.broken += 1
        return object()


def hammer(accessor: Callable[[], Any]) -> List[Any]:
    go = threading.Barrier(N, timeout=5)
    got: List[Any] = []

    def run() -> None:
        go.wait()
        got.append(accessor())

    run_threads([run] * N)
    assert len(got) == N, "an accessor call raised"
    return got


def test_naive_lazy_init_makes_many_instances() -> None:
    """Proves the harness can fail: the unguarded check-then-create runs N factories."""
    w = Window(timeout=5)
    state: dict = {"inst": None}

    def naive() -> object:
        if state["inst"] is None:
            state["inst"] = w.make()
        return state["inst"]

    got = hammer(naive)
    assert w.calls == N and w.broken == 0
    assert len({id(g) for g in got}) > 1


def test_lazy_singleton_one_instance_under_held_window() -> None:
    w = Window(timeout=0.3)
    get = lazy_singleton(w.make)
    got = hammer(get)
    assert w.calls == 1
    assert w.broken >= 1, "barrier must time out: only one thread may be in the factory"
    assert all(g is got[0] for g in got)
    assert get() is got[0]


def test_thread_safe_singleton_one_instance_under_held_window() -> None:
    w = Window(timeout=0.3)

    @thread_safe_singleton
    class Detector:
        """Hardware detector."""

        def __init__(self) -> None:
            self.token = w.make()

    got = hammer(Detector)
    assert w.calls == 1 and w.broken >= 1
    assert all(g is got[0] for g in got)


def test_thread_safe_singleton_keyed_by_args_and_metadata() -> None:
    @thread_safe_singleton
    class Cache:
        """A cache per path."""

        def __init__(self, path: str, size: int = 1) -> None:
            self.path, self.size = path, size

    assert Cache.__name__ == "Cache" and Cache.__doc__ == "A cache per path."
    assert Cache.__qualname__.endswith("Cache")
    assert isinstance(Cache("a"), Cache.__wrapped__)  # type: ignore[attr-defined]
    assert Cache("a") is Cache("a")
    assert Cache("a") is not Cache("b")
    assert Cache(path="a", size=2) is Cache(size=2, path="a")  # kwargs order irrelevant
    first = Cache("a")
    Cache.reset()  # type: ignore[attr-defined]
    assert Cache("a") is not first
    with pytest.raises(TypeError, match="hashable"):
        Cache(["unhashable"])


def test_lazy_singleton_caches_none_retries_errors_and_resets() -> None:
    calls: List[int] = []

    @lazy_singleton
    def get_none() -> Optional[int]:
        """Doc kept."""
        calls.append(1)
        return None

    assert get_none() is None and get_none() is None
    assert calls == [1]
    assert get_none.__doc__ == "Doc kept." and get_none.__name__ == "get_none"
    assert isinstance(get_none, LazySingleton) and get_none.initialized

    attempts: List[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("first try fails")
        return "ok"

    get = LazySingleton(flaky)
    with pytest.raises(OSError):
        get()
    assert not get.initialized
    assert get() == "ok" and get() == "ok" and len(attempts) == 2
    get.reset()
    assert get() == "ok" and len(attempts) == 3


def test_lazy_singleton_recursion_raises_instead_of_deadlock() -> None:
    get: LazySingleton[object]

    def factory() -> object:
        return get()

    get = LazySingleton(factory)
    with pytest.raises(RuntimeError, match="own singleton accessor"):
        get()
    assert not get.initialized


class GatedInt(int):
    """An int whose ``+`` parks the first two callers together inside the read-modify-write."""

    gate: threading.Barrier
    broken: List[bool]
    armed: List[bool]

    def __add__(self, other: Any) -> "GatedInt":
        if self.armed and self.armed.pop():
            try:
                self.gate.wait()
            except threading.BrokenBarrierError:
                self.broken.append(True)
        return GatedInt(int(self) + int(other))


def gated(timeout: float) -> GatedInt:
    GatedInt.gate = threading.Barrier(2, timeout=timeout)
    GatedInt.broken = []
    GatedInt.armed = [True, True]
    return GatedInt(0)


class NaiveCounter:
    def __init__(self, initial: int = 0) -> None:
        self.value = initial

    def increment(self, n: int = 1) -> int:
        self.value += n
        return self.value


def count_with(counter: Any, threads: int = 8, per_thread: int = 500) -> None:
    go = threading.Barrier(threads, timeout=5)

    def run() -> None:
        go.wait()
        for _ in range(per_thread):
            counter.increment()

    run_threads([run] * threads)


def test_naive_counter_loses_updates_when_window_is_held() -> None:
    """Proves the harness can fail: two threads read the same value, one update is lost."""
    c = NaiveCounter(gated(timeout=5))
    count_with(c)
    assert not GatedInt.broken
    assert int(c.value) < 8 * 500


def test_atomic_counter_exact_under_contention() -> None:
    c = AtomicCounter(gated(timeout=0.3))
    count_with(c)
    assert GatedInt.broken, "barrier must time out: the lock admits one incrementer"
    assert int(c.value) == 8 * 500


def test_atomic_counter_api() -> None:
    c = AtomicCounter()
    assert c.increment() == 1
    assert c.increment(5) == 6
    assert c.decrement(2) == 4
    assert c.value == 4
    assert repr(c) == "AtomicCounter(4)"
    plain = AtomicCounter()
    run_threads([lambda: [plain.increment() for _ in range(20_000)]] * 8)
    assert plain.value == 160_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_locks_usable_in_child_forked_while_held() -> None:
    get = lazy_singleton(lambda: "value")
    counter = AtomicCounter()
    held, release = threading.Event(), threading.Event()

    def hog() -> None:
        with get._lock, counter._lock:
            held.set()
            release.wait(10)

    t = threading.Thread(target=hog)
    t.start()
    assert held.wait(5)
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            ok = False
            try:
                ok = get() == "value" and counter.increment() == 1
            finally:
                os._exit(0 if ok else 1)
        deadline = time.monotonic() + 10
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                pytest.fail("child deadlocked on a lock inherited while held")
            time.sleep(0.01)
    finally:
        release.set()
        t.join(5)
    assert os.waitstatus_to_exitcode(status) == 0
