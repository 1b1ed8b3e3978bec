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
