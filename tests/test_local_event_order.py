"""CRL401 happens-before through a local `threading.Event` and a publish after the writer's loop.

Found on Twisted's `test_threads.py` once `callInThread` became a thread entry: the thread writes
`self.failure` in a loop, sets a local `waiter` after the loop, and the method reads the attribute
after `waiter.wait()`.
"""

from __future__ import annotations

import textwrap

from cortex_racelint.engine.lint import lint_source

WORKER = """
    import threading


    class Job:
        def __init__(self):
            self.failure = None

        def run(self):
            waiter = threading.Event()

            def work():
                for i in range(10):
                    try:
                        step(i)
                    except Exception as error:
                        self.failure = error
                        break
                waiter.set()

            threading.Thread(target=work).start()
            waiter.wait()
            return self.failure
"""


def _crl401(source: str) -> list[int]:
    result = lint_source(textwrap.dedent(source), "job.py")
    return sorted(f.line for f in result.findings if f.code == "CRL401")


def test_a_local_event_set_after_the_loop_orders_the_read() -> None:
    assert _crl401(WORKER) == []


def test_without_the_wait_the_read_races() -> None:
    assert _crl401(WORKER.replace("            waiter.wait()\n", "")) != []


def test_a_set_inside_the_loop_does_not_order_later_rounds() -> None:
    inside = WORKER.replace("                        break\n                waiter.set()\n", "                    waiter.set()\n")
    assert "waiter.set()" in inside and "break" not in inside
    assert _crl401(inside) != []


def test_a_local_event_of_another_method_orders_nothing() -> None:
    other = WORKER.replace("            waiter.wait()\n            return self.failure\n", "            return None\n") + """
        def result(self):
            waiter = threading.Event()
            waiter.wait()
            return self.failure
    """
    assert _crl401(other) != []
