"""Happens-before through a readiness event the starter waits on, and through a Condition (issue 15)."""

from __future__ import annotations

from cortex_racelint import Config, lint_source


def _codes(source: str) -> list[str]:
    return [f.code for f in lint_source(source, "m.py", Config()).findings]


READY = '''
import asyncio
import threading


class Zeroconf:
    def __init__(self, engine):
        self.engine = engine
        self.loop = None
        self._start_thread()

    def _start_thread(self):
        ready = threading.Event()

        def _run_loop():
            {body}
            self.loop.run_forever()

        threading.Thread(target=_run_loop, daemon=True).start()
        {wait}

    def send(self, packet):
        self.loop.call_soon_threadsafe(print, packet)

    def close(self):
        self.loop.stop()
'''

SETUP_THEN_HAND_OVER = "self.loop = asyncio.new_event_loop()\n            self.engine.setup(self.loop, ready)"


def test_a_write_published_by_the_event_the_starter_waits_on_is_ordered() -> None:
    assert _codes(READY.format(body=SETUP_THEN_HAND_OVER, wait="ready.wait()")) == []
    set_it = "self.loop = asyncio.new_event_loop()\n            ready.set()"
    assert _codes(READY.format(body=set_it, wait="ready.wait()")) == []


def test_without_the_wait_or_with_the_write_after_the_set_the_race_stays() -> None:
    assert "CRL401" in _codes(READY.format(body=SETUP_THEN_HAND_OVER, wait="pass"))
    late = "ready.set()\n            self.loop = asyncio.new_event_loop()"
    assert "CRL401" in _codes(READY.format(body=late, wait="ready.wait()"))


CONDITION = '''
import threading


class Election:
    def __init__(self):
        self.condition = threading.Condition()
        self.leader_id = None

    def start(self):
        threading.Thread(target=self._leader).start()

    def _leader(self):
        with self.condition:
            self.leader_id = "me"
            {notify}

    def wait_for_leader(self):
        with self.condition:
            while not self.leader_id:
                self.condition.wait(5)
        return self.leader_id
'''


def test_a_write_notified_under_a_condition_is_ordered_with_the_read_after_the_wait() -> None:
    assert _codes(CONDITION.format(notify="self.condition.notify_all()")) == []


def test_without_the_notify_the_read_after_the_block_races() -> None:
    assert _codes(CONDITION.format(notify="pass")) == ["CRL401"]


QUEUE = '''
import queue
import threading


class Worker:
    def __init__(self):
        self._jobs = {factory}
        self.config = None

    def start(self):
        threading.Thread(target=self._run).start()

    def configure(self, config):
        self.config = config
        self._jobs.put("reload")

    def _run(self):
        while True:
            self._jobs.get()
            print(self.config)
'''


def test_a_change_handed_over_through_a_queue_is_ordered_with_the_read_after_get() -> None:
    assert _codes(QUEUE.format(factory="queue.Queue()")) == []
    assert _codes(QUEUE.format(factory="make_channel()")) == ["CRL401"]  # unknown object: no order known


def test_a_change_outside_the_condition_s_lock_is_not_published_by_its_notify() -> None:
    outside = CONDITION.replace(
        'with self.condition:\n            self.leader_id = "me"\n            {notify}',
        'self.leader_id = "me"\n        with self.condition:\n            {notify}',
    )
    plain_wait = "with self.condition:\n            self.condition.wait(5)\n        return self.leader_id"
    loop_wait = (
        "with self.condition:\n            while not self.leader_id:\n                self.condition.wait(5)\n"
        "        return self.leader_id"
    )
    assert loop_wait in CONDITION
    inside = CONDITION.replace(loop_wait, plain_wait)
    outside = outside.replace(loop_wait, plain_wait)
    assert _codes(inside.format(notify="self.condition.notify_all()")) == []
    assert _codes(outside.format(notify="self.condition.notify_all()")) == ["CRL401"]


def test_a_change_made_in_a_loop_is_not_published_by_the_put_after_it() -> None:
    looped = QUEUE.replace(
        '    def configure(self, config):\n        self.config = config\n        self._jobs.put("reload")',
        '    def configure(self, configs):\n        for config in configs:\n            self.config = config\n'
        '            self._jobs.put("reload")',
    )
    assert looped != QUEUE
    assert _codes(looped.format(factory="queue.Queue()")) == ["CRL401"]
