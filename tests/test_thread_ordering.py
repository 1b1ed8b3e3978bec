"""Happens-before that CRL401 reads (issue 15): a join through a local alias orders what follows it."""

from __future__ import annotations

from cortex_racelint import Config, lint_source

SOURCE = '''
import threading


class Runner:
    def __init__(self):
        self._thread = None
        self._exception = None

    def start(self):
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        self._exception = RuntimeError("boom")

    def wait(self):
        {join}
        if self._exception is not None:
            raise self._exception
'''


def _codes(join: str) -> list[str]:
    return [f.code for f in lint_source(SOURCE.format(join=join), "r.py", Config()).findings]


def test_a_join_through_a_local_alias_orders_the_reads_after_it() -> None:
    assert _codes("thread = self._thread\n        thread.join()") == []
    assert _codes("self._thread.join()") == []  # the direct spelling, as before


def test_without_the_join_the_read_still_races() -> None:
    assert _codes("thread = self._thread") == ["CRL401"]
    assert _codes("thread = self._other\n        thread.join()") == ["CRL401"]  # an alias of something else


def test_two_threads_writing_an_attribute_is_a_lost_update() -> None:
    source = (
        "import threading\n\nclass C:\n    def __init__(self):\n        self._state = 'new'\n\n"
        "    def start(self):\n        threading.Thread(target=self._loop).start()\n\n"
        "    def _loop(self):\n        while self._state != 'closed':\n            self._state = 'reading'\n\n"
        "    def close(self):\n        self._state = 'closed'\n"
    )
    kinds = {(f.line, f.consequence.kind, f.severity.value) for f in lint_source(source, "c.py", Config()).findings}
    assert (15, "lost update", "high") in kinds  # close()'s write can be undone by the loop's
    assert (11, "stale read", "medium") in kinds  # the loop condition reads a value being changed


EVENT = '''
import threading


class Server:
    def __init__(self):
        self._ready = {event}
        self._loop = None

    def start(self):
        threading.Thread(target=self._serve).start()

    def _serve(self):
        self._loop = object()
        {publish}

    def stop(self):
        {wait}
        return self._loop
'''


def _event_codes(event: str = "threading.Event()", publish: str = "self._ready.set()", wait: str = "self._ready.wait()") -> list[str]:
    source = EVENT.format(event=event, publish=publish, wait=wait)
    return [f.code for f in lint_source(source, "s.py", Config()).findings]


def test_an_event_set_after_the_write_and_waited_before_the_read_orders_them() -> None:
    assert _event_codes() == []


def test_without_the_set_the_wait_or_an_event_the_race_stays() -> None:
    assert _event_codes(publish="pass") == ["CRL401"]
    assert _event_codes(wait="pass") == ["CRL401"]
    assert _event_codes(publish="self._other.set()") == ["CRL401"]  # another event
    assert _event_codes(event="make_flag()") == ["CRL401"]  # not a threading.Event: `set()` means nothing known
