"""CRL4xx races reproduced deterministically on a GIL build, and gone after `racelint --fix`.

Each test holds a race window open (DESIGN.md section 4) with `racetest.WindowHold`: a
call inside the window waits on a barrier until the competing thread has arrived.

* spinner: the spinner thread is held inside its frame (the stream's `write` waits)
  while another thread calls `update()`. The racy spinner then prints the message of one
  update with the step of the next; the fixed one copied both fields under the lock at
  the top of the iteration, so its frame is consistent. The fixed spinner also never
  blocks `update()`/`stop()` behind its I/O and never deadlocks: every thread here is
  joined with a timeout (`run_together` raises `TimeoutError` otherwise).
* counter: the initial count is an int whose `__add__` waits on the barrier, so each
  `self.done += 1` is held between its read and its write. On the racy counter every
  task reads 0 and stores 1; on the fixed one only one task is inside the window, the
  barrier times out (the proof the lock serialised it) and no update is lost. The same
  for the legacy `ParallelLLMExecutor.total_tokens`.
* monitor: the thread is held after it has fetched the old list's `append` while a
  reader swaps the list out: the racy monitor loses that sample, the fixed one never does.

The fixed code is produced inside each test from the racy source by `fix_source`.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import types

import pytest

from cortex_racelint import Config, fix_source
from cortex_racelint.racetest import WindowHold, load_module_from_source, run_together

from .conftest import FIXTURES

UNSAFE = Config(unsafe_fixes=True)
SPINNER = (FIXTURES / "shared_state" / "spinner.py").read_bytes()
COUNTER = (FIXTURES / "shared_state" / "executor_counter.py").read_bytes()
MONITOR = (FIXTURES / "shared_state" / "monitor_samples.py").read_bytes()
LEGACY = FIXTURES / "cortex_legacy"


def fixed(source: bytes, name: str) -> bytes:
    result = fix_source(source, name, UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    assert [f for f in result.findings if f.code.startswith("CRL4")] == []
    return result.new_source


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.001)


# --------------------------------------------------------------------------- spinner


class FrameHoldingStream(io.StringIO):
    """Holds the spinner inside its first frame: after the frame's first write, until released."""

    def __init__(self, hold: WindowHold, released: threading.Event) -> None:
        super().__init__()
        self.hold = hold
        self.released = released
        self.parts: list[str] = []
        self.held_once = False
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.parts.append(text)
            first_frame = text.startswith("\r") and not text.startswith("\r\033") and not self.held_once
            if first_frame:
                self.held_once = True
        if first_frame:
            self.hold()  # the competing thread arrives: the spinner is inside its frame
            assert self.released.wait(10), "never released"
        return len(text)

    def frames(self) -> list[tuple[str, str]]:
        """(message, step) of each complete frame, from the two writes of a frame."""
        with self.lock:
            parts = list(self.parts)
        frames = []
        for first, second in zip(parts, parts[1:]):
            if first.startswith("\r") and not first.startswith("\r\033") and second.startswith(" "):
                frames.append((first[3:], second[1:]))
        return frames


def spinner_race(source: bytes) -> tuple[list[tuple[str, str]], WindowHold]:
    module = load_module_from_source(source, "spinner")
    hold = WindowHold(parties=2, timeout=10.0)
    released = threading.Event()
    stream = FrameHoldingStream(hold, released)
    spinner = module.Spinner(stream=stream, interval=0.001)
    spinner.update("A", "1/2")
    spinner.start("A")

    def updater(_: int) -> None:
        hold()  # the spinner thread is now between the two writes of its frame
        spinner.update("B", "2/2")
        released.set()

    run = run_together(1, updater, join_timeout=15.0)
    assert not run.errors
    wait_for(lambda: len(stream.frames()) >= 2)
    run = run_together(1, lambda _: spinner.stop(), join_timeout=15.0)
    assert not run.errors
    return stream.frames(), hold


@pytest.mark.parametrize("attempt", range(3))
def test_racy_spinner_prints_a_message_mixed_from_two_updates(attempt):
    frames, hold = spinner_race(SPINNER)
    assert hold.timeouts == 0
    assert frames[0] == ("A", "2/2")  # message of the first update, step of the second


@pytest.mark.parametrize("attempt", range(3))
def test_fixed_spinner_prints_consistent_frames(attempt):
    source = fixed(SPINNER, "spinner.py")
    assert b"with self._lock:" in source
    frames, hold = spinner_race(source)
    assert hold.timeouts == 0  # update() was not blocked by the frame being written
    assert frames[0] == ("A", "1/2")
    assert all(frame in (("A", "1/2"), ("B", "2/2")) for frame in frames)


@pytest.mark.parametrize("attempt", range(3))
def test_fixed_spinner_never_blocks_update_or_stop_behind_its_io_and_never_deadlocks(attempt):
    """While the thread is held inside a frame, `update()` returns and `stop()` sets the flag
    at once (the lock is not held during I/O, and `stop()` does not hold it while joining);
    `stop()` returns once the frame ends, and nothing is written after it returned."""
    module = load_module_from_source(fixed(SPINNER, "spinner.py"), "spinner")
    hold = WindowHold(parties=2, timeout=10.0)
    released = threading.Event()
    stream = FrameHoldingStream(hold, released)
    spinner = module.Spinner(stream=stream, interval=0.001)
    spinner.start("working")
    stop_returned = threading.Event()
    sizes: list[int] = []

    def stopper(_: int) -> None:
        spinner.stop("done")
        sizes.append(len(stream.parts))
        stop_returned.set()

    def driver(_: int) -> None:
        hold()  # the spinner thread is inside its frame
        spinner.update("still working")  # must not wait for the frame
        worker = threading.Thread(target=stopper, args=(0,), daemon=True)
        worker.start()
        wait_for(lambda: spinner.running is False, timeout=5.0)  # the flag is set while the frame is held
        assert not stop_returned.is_set()  # stop() waits for the thread (join), outside the lock
        released.set()
        worker.join(10.0)
        assert stop_returned.is_set()

    run = run_together(1, driver, join_timeout=20.0)
    assert not run.errors, run.errors
    time.sleep(0.02)
    assert len(stream.parts) == sizes[0]  # no frame after stop() returned
    assert stream.parts[-1] == "✓ done\n"


# --------------------------------------------------------------------------- counter


def holding_int(hold: WindowHold, value: int = 0) -> int:
    """An int whose `+` waits inside the race window (between the read and the write)."""

    class HeldInt(int):
        def __add__(self, other):
            hold()
            return int(self) + other

        def __radd__(self, other):
            hold()
            return other + int(self)

    return HeldInt(value)


TASKS = 8


def counter_race(source: bytes, timeout: float) -> tuple[object, WindowHold]:
    module = load_module_from_source(source, "executor_counter")
    hold = WindowHold(parties=TASKS, timeout=timeout)
    stats = module.DownloadStats(lambda url: b"payload", workers=TASKS)
    stats.done = holding_int(hold)
    urls = [f"https://mirror{i}.example/pkg" for i in range(TASKS)]
    run = run_together(1, lambda _: stats.run(urls), join_timeout=30.0)
    assert not run.errors
    return stats, hold


@pytest.mark.parametrize("attempt", range(3))
def test_racy_counter_loses_updates(attempt):
    stats, hold = counter_race(COUNTER, timeout=10.0)
    assert hold.arrivals == TASKS and hold.timeouts == 0  # every task was inside the window at once
    assert stats.done == 1  # TASKS - 1 updates lost
    assert stats.progress() == (1, 0)


@pytest.mark.parametrize("attempt", range(3))
def test_fixed_counter_never_loses_updates(attempt):
    source = fixed(COUNTER, "executor_counter.py")
    stats, hold = counter_race(source, timeout=0.3)
    assert hold.arrivals == 1 and hold.timeouts == 1  # the lock let one task into the window
    assert stats.done == TASKS
    assert stats.bytes == TASKS * len(b"payload")
    assert sum(stats.per_host.values()) == TASKS
    assert stats.progress() == (TASKS, 0)


def load_legacy_parallel_llm(source: bytes, tmp_path):
    """Import `cortex.parallel_llm` with `source` from a copy of the legacy tree."""
    import importlib
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(LEGACY / "cortex", root / "cortex")
    (root / "cortex" / "parallel_llm.py").write_bytes(source)

    def purge() -> None:
        for name in [n for n in sys.modules if n == "cortex" or n.startswith("cortex.")]:
            del sys.modules[name]

    purge()
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("cortex.parallel_llm")
    finally:
        sys.path.remove(str(root))
        purge()


def tokens_race(source: bytes, timeout: float, tmp_path):
    module = load_legacy_parallel_llm(source, tmp_path)
    hold = WindowHold(parties=TASKS, timeout=timeout)

    class Provider:
        def complete(self, messages):
            return types.SimpleNamespace(text="apt-get install -y x", tokens=holding_int(hold, 5))

    executor = module.ParallelLLMExecutor(Provider(), max_workers=TASKS)
    requests = [module.package_request(f"pkg{i}") for i in range(TASKS)]
    run = run_together(1, lambda _: executor.execute(requests), join_timeout=30.0)
    assert not run.errors
    return executor, hold


def test_racy_legacy_executor_loses_token_counts(tmp_path):
    executor, hold = tokens_race((LEGACY / "cortex" / "parallel_llm.py").read_bytes(), 10.0, tmp_path)
    assert hold.timeouts == 0
    assert executor.total_tokens == 5  # all tasks read 0 and stored 0 + 5


def test_fixed_legacy_executor_counts_every_token(tmp_path):
    source = fixed((LEGACY / "cortex" / "parallel_llm.py").read_bytes(), "parallel_llm.py")
    executor, hold = tokens_race(source, 0.3, tmp_path)
    assert hold.timeouts >= 1  # serialised: only one task inside the window at a time
    assert executor.total_tokens == 5 * TASKS
    assert executor.stats()["completed"] == TASKS


# --------------------------------------------------------------------------- monitor


def monitor_race(source: bytes) -> tuple[int, int]:
    """(samples taken, samples drained) when a drain hits the thread inside `append`."""
    module = load_module_from_source(source, "monitor_samples")
    hold = WindowHold(parties=2, timeout=10.0)
    released = threading.Event()
    taken = []
    real_time = time.time

    def held_time() -> float:
        # called after `self.samples.append` has been looked up on the old list
        if len(taken) == 1:
            hold()
            released.wait(10)
        taken.append(1)
        return real_time()

    module.time = types.SimpleNamespace(time=held_time, sleep=time.sleep, monotonic=time.monotonic)
    monitor = module.HealthMonitor(check=lambda: True, interval=0.001)
    drained: list = []

    def reader(_: int) -> None:
        hold()  # the thread is inside its second append
        drainer = threading.Thread(target=lambda: drained.extend(monitor.drain()), daemon=True)
        drainer.start()
        drainer.join(0.2)  # racy: the swap happens now; fixed: it waits for the lock
        released.set()
        drainer.join(10.0)
        assert not drainer.is_alive()

    monitor.start()
    run = run_together(1, reader, join_timeout=20.0)
    assert not run.errors, run.errors
    wait_for(lambda: len(taken) >= 4)
    monitor.stop()
    drained.extend(monitor.drain())
    return len(taken), len(drained)


@pytest.mark.parametrize("attempt", range(3))
def test_racy_monitor_loses_the_sample_appended_during_a_swap(attempt):
    taken, drained = monitor_race(MONITOR)
    assert drained == taken - 1


@pytest.mark.parametrize("attempt", range(3))
def test_fixed_monitor_never_loses_a_sample(attempt):
    taken, drained = monitor_race(fixed(MONITOR, "monitor_samples.py"))
    assert drained == taken
