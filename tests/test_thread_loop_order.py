"""Happens-before through event loops and joins (issue 15): callbacks handed to a loop run on
the loop's thread; a hand-off publishes what came before it; timed joins and aliased holders order.
"""

from __future__ import annotations

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    return [f.code for f in lint_source(source, "m.py", Config()).findings]


LOOP_THREAD = '''
import asyncio
import threading


class Server:
    def __init__(self):
        self._loop = None
        self._server = None
        self._thread = None
        self._ready = threading.Event()

    def start(self):
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        self._loop = asyncio.new_event_loop()
        self._server = object()
        self._ready.set()
        self._loop.run_forever()

    def stop(self):
        self._ready.wait()
        self._loop.{schedule}(self._shutdown)

    def _shutdown(self):
        self._server = None
'''


def test_a_callback_scheduled_on_the_thread_s_loop_runs_on_that_thread() -> None:
    assert _codes(LOOP_THREAD.format(schedule="call_soon_threadsafe")) == []
    assert _codes(LOOP_THREAD.format(schedule="call_soon")) == []


def test_a_callback_handed_to_something_else_runs_where_it_is_handed_over() -> None:
    assert "CRL401" in _codes(LOOP_THREAD.format(schedule="register"))


HANDOFF = '''
import socket
import threading


class Resolver:
    def __init__(self, loop):
        self._loop = loop
        self._result = None
        self._mutex = threading.Lock()

    def start(self):
        threading.Timer(0, self._resolve).start()

    def _resolve(self):
        {resolve}

    def _dispatch(self):
        print(self._result)
'''


def test_what_a_thread_writes_before_it_hands_a_callback_to_the_owner_s_loop_is_ordered() -> None:
    ordered = "self._result = socket.getaddrinfo('h', 1)\n        self._loop.add_callback(self._dispatch)"
    assert _codes(HANDOFF.format(resolve=ordered)) == []


def test_a_write_after_the_hand_off_races_with_the_callback() -> None:
    late = "self._loop.add_callback(self._dispatch)\n        self._result = socket.getaddrinfo('h', 1)"
    assert _codes(HANDOFF.format(resolve=late)) == ["CRL401"]


COLLECT = '''
import threading


class CollectErrorThread:
    def __init__(self, target):
        self._exception = None

        def wrapper():
            try:
                target()
            except BaseException as e:
                self._exception = e

        self._thread = thread = threading.Thread(target=wrapper)
        thread.start()

    def join(self, timeout=None):
        thread = self._thread
        {join}
        if self._exception is not None:
            raise self._exception
'''


def test_a_timed_join_through_an_alias_of_a_chained_holder_orders_the_reads_after_it() -> None:
    assert _codes(COLLECT.format(join="thread.join(timeout=timeout)")) == []
    assert _codes(COLLECT.format(join="thread.is_alive()")) == ["CRL401"]


RESTART = '''
import threading


class Ctl:
    def __init__(self):
        self._thread = None
        self._loop = None

    def start(self):
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def restart(self):
        {holder} = threading.Thread(target=self._run)
        {holder}.start()

    def _run(self):
        self._loop = object()
'''


def test_one_entry_started_at_two_places_into_one_attribute_is_one_thread() -> None:
    assert _codes(RESTART.format(holder="self._thread")) == []
    assert _codes(RESTART.format(holder="self._other")) == ["CRL401"]  # two threads can run at once
