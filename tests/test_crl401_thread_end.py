"""CRL401 false findings of the third corpus (session 11): a read after the thread ended, a write
on a failure path before the start.

Each pattern has the ordered spelling (no finding) and a variant where the order is gone (the
race stays reported), so a test fails if the analysis stops telling them apart.
"""

from __future__ import annotations

import textwrap

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    result = lint_source(textwrap.dedent(source).lstrip("\n"), "m.py", Config())
    assert result.error is None
    return [f.code for f in result.findings]


# -- 1. a read once the thread is no longer alive ------------------------------------------
SUBCLASS = '''
import sys
import threading


class Worker(threading.Thread):
    def __init__(self):
        super().__init__()
        self.exc = None

    def run(self):
        try:
            self.work()
        except BaseException:
            self.exc = sys.exc_info()

    def work(self):
        pass

    def is_dead(self):
{body}
'''


def _subclass(body: str) -> str:
    return SUBCLASS.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8))


def test_a_read_and_ed_after_not_is_alive_is_ordered() -> None:
    # invoke's ExceptionHandlingThread.is_dead
    assert _codes(_subclass("return (not self.is_alive()) and self.exc is not None")) == []


def test_a_read_under_if_not_is_alive_is_ordered() -> None:
    assert _codes(_subclass("if not self.is_alive():\n    return self.exc\nreturn None")) == []


def test_a_read_after_an_early_return_while_alive_is_ordered() -> None:
    assert _codes(_subclass("if self.is_alive():\n    return None\nreturn self.exc")) == []


def test_a_read_while_alive_races() -> None:
    assert _codes(_subclass("return self.is_alive() and self.exc is not None")) == ["CRL401"]


def test_a_read_or_ed_with_not_alive_races() -> None:
    assert _codes(_subclass("return not self.is_alive() or self.exc is not None")) == ["CRL401"]


def test_a_read_before_the_alive_test_races() -> None:
    assert _codes(_subclass("return self.exc is not None and not self.is_alive()")) == ["CRL401"]


HOLDER = '''
import threading


class Reader:
    def __init__(self):
        self.result = None
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._read)
        self._thread.start()

    def _read(self):
        self.result = 42

    def poll(self):
{body}
'''


def _holder(body: str, source: str = HOLDER) -> str:
    return source.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8))


def test_a_read_after_the_held_thread_ended_is_ordered() -> None:
    assert _codes(_holder("if not self._thread.is_alive():\n    return self.result")) == []


def test_a_restart_inside_the_guard_ends_the_order() -> None:
    body = "if not self._thread.is_alive():\n    self.start()\n    return self.result"
    assert _codes(_holder(body)) == ["CRL401"]


def test_a_thread_started_in_a_loop_is_not_one_thread() -> None:
    looped = HOLDER.replace(
        "        self._thread = threading.Thread(target=self._read)\n        self._thread.start()",
        "        for _ in range(2):\n            self._thread = threading.Thread(target=self._read)\n            self._thread.start()",
    )
    assert _codes(_holder("if not self._thread.is_alive():\n    return self.result", looped)) == ["CRL401"]


def test_another_objects_thread_orders_nothing() -> None:
    assert _codes(_holder("if not self.other.is_alive():\n    return self.result")) == ["CRL401"]


# -- 4. a write on the failure path before the start ---------------------------------------
OPENER = '''
import threading


class Port:
    def __init__(self):
        self.handle = None

    def open(self, dev):
        self.handle = dev
        try:
            dev.configure()
        except Exception:
{handler}
        else:
            threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while self.handle is not None:
            self.handle.read()
'''


def _opener(handler: str, source: str = OPENER) -> str:
    return source.format(handler=textwrap.indent(textwrap.dedent(handler).strip("\n"), " " * 12))


def test_a_write_before_a_re_raise_in_the_starter_is_ordered() -> None:
    # pyserial cp2110 `open()`: `self._hid_handle = None; raise` before the reader starts
    assert _codes(_opener("self.handle = None\nraise")) == []


def test_a_failure_write_that_falls_through_is_ordered_too() -> None:
    # the handler skips the `else:` that starts the thread: this call starts none after it
    assert _codes(_opener("self.handle = None")) == []


STARTED_IN_TRY = '''
import threading


class Port:
    def __init__(self):
        self.handle = None

    def open(self, dev):
        self.handle = dev
        try:
            threading.Thread(target=self._loop, daemon=True).start()
            dev.configure()
        except Exception:
            self.handle = None
            raise

    def _loop(self):
        while self.handle is not None:
            self.handle.read()
'''


def test_a_failure_write_after_the_start_races() -> None:
    assert "CRL401" in _codes(STARTED_IN_TRY)


def test_the_other_branch_of_a_lazy_start_races_and_so_does_a_loop() -> None:
    branch = STARTED_IN_TRY.replace(
        """        try:
            threading.Thread(target=self._loop, daemon=True).start()
            dev.configure()
        except Exception:
            self.handle = None
            raise""",
        """        if dev.ok():
            threading.Thread(target=self._loop, daemon=True).start()
        else:
            self.handle = None""",
    )
    assert branch != STARTED_IN_TRY
    # `if not started: start() else: use()`: the else branch is the "already running" one
    assert "CRL401" in _codes(branch)
    head, _, tail = branch.partition("        if dev.ok():")
    block, _, rest = tail.partition("\n\n")
    looped = head + "        for _ in range(2):\n" + textwrap.indent("        if dev.ok():" + block, "    ") + "\n\n" + rest
    assert "CRL401" in _codes(looped)


def test_a_handler_in_a_loop_around_the_start_races() -> None:
    looped = _opener("self.handle = None\nraise").replace(
        "        try:\n            dev.configure()", "        for _ in range(2):\n          try:\n            dev.configure()"
    )
    head, _, tail = looped.partition("          try:")
    body, _, rest = tail.partition("\n\n")
    looped = head + textwrap.indent("        try:" + body, "  ") + "\n\n" + rest
    assert "for _ in range(2)" in looped
    assert "CRL401" in _codes(looped)


CAUGHT = '''
import threading


class Port:
    def __init__(self):
        self.handle = None

    def open(self, dev):
        self.handle = dev
        try:
            try:
                dev.configure()
            except Exception:
                self.handle = None
                raise
        except Exception:
            pass
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while self.handle is not None:
            self.handle.read()
'''


def test_a_re_raise_caught_in_the_same_method_still_precedes_the_start() -> None:
    # the outer handler swallows it and the start follows: the write is before the start
    assert _codes(CAUGHT) == []


# -- 3. a public method only construction and the thread call ------------------------------
ONE_THREAD = '''
import threading


class Term:
    def __init__(self):
        self.eol = "lf"
        self.table = []
        self.refresh()

    def start(self):
        threading.Thread(target=self.writer).start()

    def refresh(self):
        self.table = [self.eol]

    def writer(self):
        while True:
            key = input()
            if key == "e":
                self.eol = "crlf"
                self.refresh()
            for t in self.table:
                print(t)
{extra}
'''


def test_a_public_method_only_init_and_the_thread_call_runs_on_the_thread() -> None:
    # pyserial miniterm `update_transformations()`: `__init__` and the writer's menu call it
    assert _codes(ONE_THREAD.format(extra="")) == []


def test_a_constructor_that_starts_the_thread_first_still_races_it() -> None:
    """`__init__` starting the writer, then calling `refresh()` itself: both threads run it."""
    source = ONE_THREAD.format(extra="").replace(
        "        self.refresh()\n\n    def start(self):\n        threading.Thread(target=self.writer).start()\n",
        "        threading.Thread(target=self.writer).start()\n        self.refresh()\n\n    def start(self):\n        pass\n",
    )
    assert "threading.Thread(target=self.writer).start()\n        self.refresh()" in source
    assert "CRL401" in _codes(source)


def test_another_caller_side_user_keeps_it_on_the_caller_side() -> None:
    extra = "\n    def set_eol(self, eol):\n        self.refresh()\n"
    assert "CRL401" in _codes(ONE_THREAD.format(extra=extra))


# -- 2. a swap between a join and the next start -------------------------------------------
SWAP = '''
import threading


class Term:
    def __init__(self, port):
        self.port = port
        self.reader_thread = None

    def start(self):
        threading.Thread(target=self.writer).start()
        self._start_reader()

    def _start_reader(self):
        self.reader_thread = threading.Thread(target=self.reader)
        self.reader_thread.start()

    def _stop_reader(self):
        self.port.cancel_read()
        self.reader_thread.join({timeout})

    def reader(self):
        for _ in range(9):
            self.port.read()

    def writer(self):
        while True:
            if input() == "p":
                self.change_port(open_port())

    def change_port(self, new):
{body}
'''


def _swap(body: str, timeout: str = "") -> str:
    return SWAP.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8), timeout=timeout)


def test_a_swap_between_the_join_and_the_next_start_is_ordered() -> None:
    # pyserial miniterm `change_port()` on the writer thread
    body = "self._stop_reader()\ntry:\n    new.open()\nexcept OSError:\n    pass\nelse:\n    self.port = new\nself._start_reader()"
    assert _codes(_swap(body)) == []


def test_a_swap_after_the_restart_races() -> None:
    assert _codes(_swap("self._stop_reader()\nself._start_reader()\nself.port = new")) == ["CRL401"]


def test_a_timed_join_orders_nothing() -> None:
    assert _codes(_swap("self._stop_reader()\nself.port = new\nself._start_reader()", "1.0")) == ["CRL401"]


def test_a_join_on_one_branch_orders_nothing_after_the_if() -> None:
    body = "if new:\n    self._stop_reader()\nself.port = new\nself._start_reader()"
    assert _codes(_swap(body)) == ["CRL401"]


def test_a_holder_shared_with_another_entry_orders_nothing() -> None:
    shared = _swap("self._stop_reader()\nself.port = new\nself._start_reader()").replace(
        "    def start(self):\n        threading.Thread(target=self.writer).start()",
        "    def start(self):\n        threading.Thread(target=self.writer).start()\n\n"
        "    def probe(self):\n        self.reader_thread = threading.Thread(target=self.prober)\n        self.reader_thread.start()\n\n"
        "    def prober(self):\n        pass",
    )
    assert "def prober" in shared
    assert "CRL401" in _codes(shared)
