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
            on_error()

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
