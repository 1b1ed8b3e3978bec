"""CRL401 false findings on code nobody tuned for (session 11, the session-10 packages).

Each pattern has the ordered spelling (no finding) and a variant where the order is gone
(the race stays reported), so a test fails if the analysis stops telling them apart.
"""

from __future__ import annotations

import textwrap

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    result = lint_source(textwrap.dedent(source).lstrip("\n"), "m.py", Config())
    assert result.error is None
    return [f.code for f in result.findings]


# -- 1. a write before a start that a nested function makes ------------------------------
NESTED_START = '''
import threading


class App:
    def __init__(self):
        self.x = 0
        self.t = None

    def _start(self):
        self.t = threading.Thread(target=self._work)
        self.t.start()

    def _work(self):
        print(self.x)

    def run(self, x, retry):
{body}
'''


def _nested(body: str) -> str:
    return NESTED_START.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8))


def test_a_write_before_a_local_def_that_starts_the_thread_is_ordered() -> None:
    body = """
        self.x = x

        def go():
            self._start()

        go()
        retry(go)
    """
    assert _codes(_nested(body)) == []


def test_a_local_def_called_through_another_local_def_and_a_loop() -> None:
    # websocket-client's run_forever(): initialize_socket() starts the ping thread; it is
    # called at once, handed to reconnect() in a loop, and handed on by a local error handler
    body = """
        self.x = x

        def go():
            if self.x:
                self._start()
            retry(step)

        def step():
            return on_error()

        def on_error():
            retry(go)

        handler = retry(on_error)
        go()
        while handler:
            retry(go)
    """
    assert _codes(_nested(body)) == []


def test_a_write_after_the_first_call_of_the_local_def_races() -> None:
    body = """
        def go():
            self._start()

        go()
        self.x = x
        go()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_write_inside_the_loop_that_calls_the_local_def_races() -> None:
    body = """
        def go():
            self._start()

        while retry(go):
            self.x = x
            go()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_local_def_that_escapes_orders_nothing() -> None:
    body = """
        self.x = x

        def go():
            self._start()

        self.restart = go
        go()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_write_in_the_local_def_after_its_start_races() -> None:
    body = """
        def go():
            self._start()
            self.x = x

        go()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_local_def_defined_before_the_start_is_not_ordered_by_its_definition() -> None:
    # `def late()` precedes go() but its body runs after the thread started
    body = """
        def late():
            self.x = x

        def go():
            self._start()

        go()
        late()
    """
    assert _codes(_nested(body)) == ["CRL401"]


# -- 3. a lock handed over to the thread as a latch -------------------------------------
LATCH = '''
import sys
import threading


class Worker(threading.Thread):
    def __init__(self):
        super().__init__()
        self._ready = threading.{factory}()
        {init}
        self.exception = None

    def _connect(self):
        try:
            return open("/nonexistent")
        except Exception:
            self.exception = sys.exc_info()
            raise

    def run(self):
        {run}

    def check(self):
        with self._ready:
            if self.exception:
                self.exception = None
                raise RuntimeError("failed")
{extra}
'''
_ACQUIRE_THEN_START = "self._ready.acquire()\n        self.start()"
_CONNECT_THEN_RELEASE = "try:\n            self._connect()\n        finally:\n            self._ready.release()"


def _latch(factory: str = "Lock", init: str = _ACQUIRE_THEN_START, run: str = _CONNECT_THEN_RELEASE, extra: str = "") -> str:
    return LATCH.format(factory=factory, init=init, run=run, extra=extra)


def test_writes_before_the_thread_releases_a_handed_over_lock_hold_it() -> None:
    assert _codes(_latch()) == []


def test_a_release_after_the_connect_without_finally_also_holds() -> None:
    run = "self._connect()\n        self._ready.release()"
    assert _codes(_latch(run=run)) == []


def test_writes_after_the_release_race() -> None:
    run = "self._ready.release()\n        self._connect()"
    assert _codes(_latch(run=run)) == ["CRL401"]


def test_an_acquire_after_the_start_hands_nothing_over() -> None:
    assert _codes(_latch(init="self.start()\n        self._ready.acquire()")) == ["CRL401"]


def test_an_rlock_is_no_latch() -> None:
    assert _codes(_latch(factory="RLock")) == ["CRL401"]


def test_a_second_releaser_breaks_the_latch() -> None:
    extra = "\n    def abort(self):\n        self._ready.release()\n"
    assert _codes(_latch(extra=extra)) == ["CRL401"]


def test_a_release_in_a_loop_is_no_latch() -> None:
    run = "for _ in range(2):\n            self._connect()\n            self._ready.release()"
    assert _codes(_latch(run=run)) == ["CRL401"]


def test_a_latch_handed_to_a_target_thread() -> None:
    source = """
    import threading


    class Conn:
        def __init__(self):
            self._ready = threading.Lock()
            self.error = None

        def open(self):
            self._ready.acquire()
            threading.Thread(target=self._serve).start()

        def _serve(self):
            try:
                self.error = self._dial()
            finally:
                self._ready.release()

        def _dial(self):
            return None

        def failed(self):
            with self._ready:
                return self.error
    """
    assert _codes(source) == []
    assert _codes(source.replace("self._ready.acquire()\n", "")) == ["CRL401"]


# -- 4. a container one side only grows and the other drains after an emptiness test ------
QUEUE = '''
import threading


class Conn:
    def __init__(self, channel):
        self._channel = channel
        self._sendlock = threading.Lock()
        self._queue = []
        self._pool = None

    def start(self, pool):
        pool.submit(self._send, b"hello")

    def _send(self, data):
        self._queue.{grow}(data)
        while {test}:
            if not self._sendlock.acquire(False):
                return
            try:
                data = self._queue.{take}
                self._channel.send(data)
            finally:
                self._sendlock.release()
'''


def _queue(grow: str = "append", test: str = "self._queue", take: str = "pop(0)") -> str:
    return QUEUE.format(grow=grow, test=test, take=take)


def test_a_lock_free_append_against_a_tested_pop_is_no_race() -> None:
    # rpyc's Connection._send(): producers append, whoever gets the lock drains
    assert _codes(_queue()) == []
    assert _codes(_queue(test="len(self._queue) and self._channel")) == []


def test_a_clear_after_the_test_loses_the_append() -> None:
    assert _codes(_queue(take="clear()")) == ["CRL401"]


def test_a_size_comparison_is_falsified_by_an_append() -> None:
    assert _codes(_queue(test="len(self._queue) == 1")) == ["CRL401"]


def test_a_test_or_ed_with_something_else_guards_nothing() -> None:
    assert _codes(_queue(test="self._queue or self._channel")) == ["CRL401"]


def test_an_and_ed_test_of_the_last_item_is_falsified_by_an_append() -> None:
    """`q and q[-1] == x` then `q.pop()`: an append after the test makes the pop take the new item."""
    assert _codes(_queue(test="self._queue and self._queue[-1] == data", take="pop()")) == ["CRL401"]


def test_an_inner_index_pop_is_shifted_by_a_growth_at_the_front() -> None:
    assert _codes(_queue(grow="appendleft", take="pop(1)")) == ["CRL401"]


def test_two_unlocked_drainers_still_race_each_other() -> None:
    source = """
    class Conn:
        def __init__(self):
            self._queue = []

        def start(self, pool):
            pool.submit(self._send, b"hello")

        def _send(self, data):
            self._queue.append(data)
            if self._queue:
                return self._queue.pop()
    """
    assert _codes(source) == ["CRL402"]  # the check-then-act of the two pops


# -- a local def written before a start but run after it (found on the way) --------------
def test_a_local_def_written_before_the_start_and_called_after_it_races() -> None:
    body = """
        def late():
            self.x = x

        self._start()
        late()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_local_def_handed_on_before_the_start_races() -> None:
    body = """
        def later():
            self.x = x

        retry(later)
        self._start()
    """
    assert _codes(_nested(body)) == ["CRL401"]


def test_a_local_def_called_before_the_start_is_ordered() -> None:
    body = """
        def early():
            self.x = x

        early()
        self._start()
    """
    assert _codes(_nested(body)) == []


def test_a_non_blocking_acquire_hands_nothing_over() -> None:
    assert _codes(_latch(init="self._ready.acquire(False)\n        self.start()")) == ["CRL401"]


def test_a_local_def_called_from_a_local_def_run_after_the_start_races() -> None:
    body = """
        def late():
            self.x = x

        def step():
            late()

        self._start()
        step()
    """
    assert _codes(_nested(body)) == ["CRL401"]
