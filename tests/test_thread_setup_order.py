"""Happens-before through set-up methods (issue 15): what the class runs only before a thread starts.

Each test has the ordered spelling and a variant where the order is gone (the race stays).
"""

from __future__ import annotations

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    return [f.code for f in lint_source(source, "m.py", Config()).findings]


SETUP = '''
import threading


class Server:
    def __init__(self):
        self._connections = None

    def prepare(self):
        self._connections = []

    def serve(self):
        for c in self._connections:
            print(c)

    def start(self):
        self.prepare()
        self.serve()

    def run_in_thread(self):
        {body}
'''


def test_a_method_called_only_before_the_start_is_set_up() -> None:
    ordered = "self.prepare()\n        threading.Thread(target=self.serve).start()"
    assert _codes(SETUP.format(body=ordered)) == []


def test_a_set_up_method_also_called_after_the_start_races() -> None:
    late = "threading.Thread(target=self.serve).start()\n        self.prepare()"
    assert _codes(SETUP.format(body=late)) == ["CRL401"]


INIT_CALLS = '''
import threading
from concurrent.futures import ThreadPoolExecutor


class Debugger:
    def __init__(self):
        self.app = None
        self._pool = ThreadPoolExecutor(1)
        self.pt_init()

    def pt_init(self):
        self.app = object()

    def _prompt(self):
        return self.app

    def cmdloop(self):
        return self._pool.submit(self._prompt).result()
{extra}
'''


def test_a_public_method_only_init_calls_is_construction() -> None:
    assert _codes(INIT_CALLS.format(extra="")) == []


def test_a_public_method_the_class_also_calls_later_is_not() -> None:
    extra = "\n    def reset(self):\n        self.pt_init()\n"
    assert _codes(INIT_CALLS.format(extra=extra)) == ["CRL401"]


REINIT = '''
import threading


class Client:
    def __init__(self, userdata=None):
        self._userdata = userdata
        self._thread = None

    def reinitialise(self, userdata=None):
        {reinit}

    def loop_start(self):
        self._thread = threading.Thread(target=self._main)
        self._thread.start()

    def _main(self):
        print(self._userdata)
'''


def test_init_rerun_through_self_init_stays_construction() -> None:
    assert _codes(REINIT.format(reinit="self.__init__(userdata)")) == []
    # the same writes spelt in a public method do race with the thread
    assert _codes(REINIT.format(reinit="self._userdata = userdata")) == ["CRL401"]


REARMED = '''
import threading
import time


class Ticker:
    def __init__(self):
        self.deadline = 0.0
        self._timer = None

    def schedule(self):
        self.deadline = time.time() + 1
        self._timer = threading.Timer(1, self._fire)
        self._timer.start()

    def _fire(self):
        print(self.deadline)
        {rearm}
'''


def test_a_re_armed_timer_s_starter_writes_race_with_the_running_timer() -> None:
    assert _codes(REARMED.format(rearm="self.schedule()")) == ["CRL401"]
    assert _codes(REARMED.format(rearm="pass")) == []  # started once: the write happens before


LOOPED = '''
import threading


class Pool:
    def __init__(self):
        self.job = None

    def start(self, job):
        self.job = job
        threading.Thread(target=self._work).start()

    def _work(self):
        print(self.job)

    def start_all(self, jobs):
        {calls}
'''


def test_a_starter_the_class_calls_in_a_loop_races_with_the_earlier_threads() -> None:
    assert _codes(LOOPED.format(calls="for job in jobs:\n            self.start(job)")) == ["CRL401"]
    assert _codes(LOOPED.format(calls="self.start(jobs)")) == []


SUBCLASS_INIT = '''
import threading


class JobBase(threading.Thread):
    def _init(self):
        self.status = "created"

    def run(self):
        self.status = "running"


class Job(JobBase):
    def __init__(self):
        threading.Thread.__init__(self)
        self._init()
{extra}
'''


def test_a_private_helper_only_subclasses_init_call_is_construction() -> None:
    assert _codes(SUBCLASS_INIT.format(extra="")) == []


def test_the_same_helper_called_elsewhere_races() -> None:
    extra = "\n    def restart(self):\n        self._init()\n"
    assert _codes(SUBCLASS_INIT.format(extra=extra)) == ["CRL401"]
