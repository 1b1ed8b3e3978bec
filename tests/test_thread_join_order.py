"""Happens-before through joins over collections, futures and barriers (issue 15).

The workers append (atomic on its own); the owner iterates the list, which races with an
append unless it runs after every worker ended.
"""

from __future__ import annotations

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    return [f.code for f in lint_source(source, "m.py", Config()).findings]


THREADS = '''
import threading


class Fan:
    def __init__(self):
        self.results = []

    def run(self, n):
        threads = [threading.Thread(target=self._work) for _ in range(n)]
        for t in threads:
            t.start()
        {wait}
        return [r for r in self.results]

    def _work(self):
        self.results.append(1)
'''


def test_a_for_loop_joining_every_thread_of_a_list_orders_what_follows() -> None:
    assert _codes(THREADS.format(wait="for t in threads:\n            t.join()")) == []
    assert _codes(THREADS.format(wait="pass")) == ["CRL401"]
    assert _codes(THREADS.format(wait="for t in others:\n            t.join()")) == ["CRL401"]


FUTURES = '''
import concurrent.futures


class Batch:
    def __init__(self, pool):
        self.pool = pool
        self.results = []

    def run(self):
        {submit}
        {wait}
        return [r for r in self.results]

    def _work(self):
        self.results.append(1)
'''


def test_waiting_for_every_future_orders_what_follows() -> None:
    many = "fs = [self.pool.submit(self._work) for _ in range(3)]"
    assert _codes(FUTURES.format(submit=many, wait="concurrent.futures.wait(fs)")) == []
    one = "f = self.pool.submit(self._work)"
    assert _codes(FUTURES.format(submit=one, wait="f.result()")) == []


def test_waiting_for_the_first_future_or_not_at_all_does_not() -> None:
    many = "fs = [self.pool.submit(self._work) for _ in range(3)]"
    first = "concurrent.futures.wait(fs, return_when=concurrent.futures.FIRST_COMPLETED)"
    assert _codes(FUTURES.format(submit=many, wait=first)) == ["CRL401"]
    assert _codes(FUTURES.format(submit="f = self.pool.submit(self._work)", wait="f.done()")) == ["CRL401"]


BARRIER = '''
import threading


class Rendezvous:
    def __init__(self):
        self._meet = threading.{kind}(2)
        self.value = None

    def start(self):
        threading.Thread(target=self._work).start()

    def _work(self):
        self.value = 1
        self._meet.wait()

    def get(self):
        self._meet.wait()
        return self.value
'''


def test_a_barrier_both_parties_pass_orders_what_came_before_it() -> None:
    assert _codes(BARRIER.format(kind="Barrier")) == []
    assert _codes(BARRIER.format(kind="Semaphore")) == ["CRL401"]  # a semaphore's wait() is not a rendezvous


def test_inside_the_join_loop_the_threads_not_yet_joined_still_run() -> None:
    inside = "for t in threads:\n            t.join()\n            print([r for r in self.results])"
    lines = {f.line for f in lint_source(THREADS.format(wait=inside), "m.py", Config()).findings}
    assert 15 in lines and 16 not in lines  # the read between two joins races; the one after the loop does not
