"""CRL401/CRL402: which lock a fix takes, and when an existing lock must not be taken.

The behaviour under threads is shown by the fix-safety cases (`tests/fix_safety/cases/lock_*`,
`state_*`); this file pins the decisions themselves: the no-fix reasons, the lock's placement,
what counts as a wait, and the narrowing that keeps a locked subclass in view.
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.analysis.ast_facts import ast_facts
from cortex_racelint.analysis.names import ImportMap
from cortex_racelint.fixes.locks.shared_fields import waits

CRL4 = Config(select=("CRL4",), unsafe_fixes=True)

_COUNTER = """
import threading


class Counter:
    def __init__(self):
{init}
        self.n = 0

    def start(self):
        for _ in range(2):
            threading.Thread(target=self._work).start()

    def _work(self):
        self.n += 1
{extra}
"""


def src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def counter(init: str = "        pass", extra: str = "") -> str:
    return _COUNTER.format(init=init, extra=extra)


def fixed(code: str) -> str:
    result = fix_source(code, "example.py", CRL4)
    assert result.fix_error is None
    return result.new_source.decode() if result.new_source is not None else code


def reasons(code: str) -> list[str]:
    return [f.no_fix_reason or "" for f in lint_source(code, "example.py", CRL4).findings]


def test_a_copyable_object_gets_a_class_lock_and_keeps_its_dict():
    text = fixed(counter())
    assert "class Counter:\n    _lock = threading.Lock()\n\n    def __init__" in text
    assert "self._lock = threading.Lock()" not in text
    assert "        with self._lock:\n            self.n += 1" in text


def test_an_object_holding_an_event_keeps_a_per_object_lock():
    text = fixed(counter("        self._stop = threading.Event()"))
    assert "        self._lock = threading.Lock()\n        self._stop = threading.Event()" in text


@pytest.mark.parametrize("factory", ["threading.Lock()", "threading.RLock()", "threading.Condition()"])
def test_an_existing_mutex_is_reused_not_duplicated(factory):
    text = fixed(counter(f"        self._guard = {factory}"))
    assert "with self._guard:" in text and "_lock" not in text


def test_a_subclass_reuses_the_mutex_its_base_creates():
    code = src(
        """
        import threading


        class Base:
            def __init__(self):
                self._lock = threading.Lock()


        class Counter(Base):
            def __init__(self):
                super().__init__()
                self.n = 0

            def start(self):
                for _ in range(2):
                    threading.Thread(target=self._work).start()

            def _work(self):
                self.n += 1
        """
    )
    text = fixed(code)
    assert text.count("threading.Lock()") == 1 and "with self._lock:" in text


def test_a_plain_lock_held_around_a_call_into_the_site_gets_no_fix_and_says_why():
    code = counter(
        "        self._lock = threading.Lock()",
        "\n    def bump(self):\n        with self._lock:\n            self._helper()\n\n"
        "    def _helper(self):\n        self._work()\n",
    )
    assert fixed(code) == code
    assert any("`bump()` holds `self._lock` around a call that reaches `_work()`" in r for r in reasons(code))


def test_an_rlock_held_around_a_call_into_the_site_is_reused():
    code = counter(
        "        self._lock = threading.RLock()",
        "\n    def bump(self):\n        with self._lock:\n            self._work()\n",
    )
    assert "        with self._lock:\n            self.n += 1" in fixed(code)


def test_a_lock_held_across_a_join_is_not_taken_by_the_threads():
    code = counter(
        "        self._lock = threading.Lock()",
        "\n    def run(self, threads):\n        with self._lock:\n            for t in threads:\n"
        "                t.join()\n",
    )
    assert fixed(code) == code
    assert any("`run()` holds `self._lock` while it waits in `t.join()`" in r for r in reasons(code))


def test_a_lock_held_across_a_socket_send_is_not_taken_by_the_timer_thread():
    # paramiko's packetizer: a blocked send holds the write lock until the peer reads; a reader
    # made to take that lock could not drain its side, and both ends would wait on each other
    code = counter(
        "        self._write_lock = threading.RLock()",
        "\n    def send_message(self, data):\n        with self._write_lock:\n            self._write_all(data)\n\n"
        "    def _write_all(self, data):\n        while data:\n            data = data[self.sock.send(data):]\n",
    )
    assert fixed(code) == code
    assert any("`send_message()` holds `self._write_lock` while it waits in `self.sock.send()`" in r for r in reasons(code))


def test_a_condition_over_the_objects_own_lock_is_that_lock():
    # `Condition(self._lock)` is `self._lock`: `drain()` waits holding it, and `bump()` holds the
    # plain Lock around `_work()`, so `with self._ready:` there would deadlock (paramiko's
    # `server_accept_cv`); taken for an RLock-backed Condition, it was offered as the fix's lock
    code = counter(
        "        self._lock = threading.Lock()\n        self._ready = threading.Condition(self._lock)",
        "\n    def bump(self):\n        self._lock.acquire()\n        try:\n            self._work()\n"
        "        finally:\n            self._lock.release()\n"
        "\n    def drain(self, t):\n        with self._lock:\n            t.join()\n",
    )
    assert fixed(code) == code
    assert any("holds `self._lock`" in r for r in reasons(code))


HANDOVER = """
import threading


class Worker(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.error = None
        self._ready = threading.Lock()
        self._ready.acquire()  # opened by run() once connected: a latch, not a mutex
        self.start()

    def run(self):
        try:
            self._open()
        finally:
            self._ready.release()
        self.error = self.conn.poll()  # after the release: a race the fix would lock

    def _open(self):
        try:
            self.conn = connect(self.path)
        except OSError as exc:
            self.error = exc

    def check(self):
        with self._ready:
            if self.error is not None:
                error, self.error = self.error, None
                raise error
"""


def test_a_lock_handed_over_between_threads_is_not_taken():
    # sqlitedict: `_open()` runs while `__init__`'s acquire still holds the latch; taking it
    # there would wait for the release that only comes after `_open()` returns. (`_open()`'s
    # own write holds the latch, analysis/latch_locks; the write after the release races.)
    assert fixed(HANDOVER) == HANDOVER
    assert any("`__init__()` acquires `self._ready` and leaves it held until `run()` releases it" in r
               for r in reasons(HANDOVER))


def test_a_condition_held_across_its_own_wait_is_reused():
    code = counter(
        "        self._cond = threading.Condition()",
        "\n    def wait_for(self, k):\n        with self._cond:\n            while self.n < k:\n"
        "                self._cond.wait()\n",
    )
    assert "        with self._cond:\n            self.n += 1" in fixed(code)


@pytest.mark.parametrize(
    "call, expected",
    [
        ("t.join()", True),
        ("t.join(5)", True),
        ("t.join(timeout=1)", True),
        ("', '.join(parts)", False),
        ("os.path.join(a, b)", False),
        ("q.get()", True),
        ("q.get(timeout=1)", True),
        ("d.get(key)", False),
        ("d.get(key, 0)", False),
        ("event.wait()", True),
        ("sock.recv(1024)", True),
        ("sock.send(data)", True),
        ("sock.sendall(data)", True),
        ("future.result()", True),
        ("time.sleep(1)", True),
        ("items.append(x)", False),
        ("other.acquire()", True),
        ("other.acquire(False)", False),
        ("other.acquire(blocking=False)", False),
        ("other.acquire(timeout=0)", False),
    ],
)
def test_what_counts_as_a_wait(call, expected):
    node = cst.parse_expression(call)
    imports = ImportMap()
    imports.aliases.update({"os": "os", "time": "time"})
    assert waits(node, imports) is expected


def test_a_polling_loop_copies_only_the_reads_before_its_first_wait():
    code = src(
        """
        import threading


        class Reader:
            def __init__(self):
                self._go = threading.Event()
                self.running = True
                self.before = 0
                self.after = 0
                self.seen = []

            def start(self):
                threading.Thread(target=self._loop).start()

            def _loop(self):
                while self.running:
                    self.seen.append(self.before)
                    self._go.wait()
                    self.seen.append(self.after)

            def update(self, value):
                self.before = value
                self.after = value
                self._go.set()

            def stop(self):
                self.running = False
        """
    )
    text = fixed(code)
    loop = text.split("def _loop")[1].split("def update")[0]
    assert "before = self.before" in loop  # copied with the condition, before the wait
    assert "self.seen.append(before)" in loop
    assert "self.seen.append(self.after)" in loop  # read after the wait, where it stands
    assert "after = self.after" not in loop


def test_narrowing_keeps_the_classes_related_to_a_thread_entry():
    code = src(
        """
        import threading


        class Mixin:
            def notify(self):
                with self._lock:
                    self.on_event()


        class Unrelated:
            def f(self):
                return 1


        class Bus(Mixin):
            def __init__(self):
                self._lock = threading.Lock()
                self.events = 0

            def start(self):
                threading.Thread(target=self.on_event).start()

            def on_event(self):
                self.events += 1


        class Loud(Bus):
            pass
        """
    )
    facts = ast_facts(code.encode())
    assert facts is not None
    assert facts.where("thread_family") == {1, 3, 4}  # Mixin, Bus, Loud: not Unrelated (nor the import)


@pytest.mark.parametrize("bases", ["(enum.Enum)", "(Base)", "(metaclass=abc.ABCMeta)"])
def test_a_class_whose_body_a_metaclass_or_foreign_base_interprets_keeps_a_per_object_lock(bases):
    code = counter().replace("import threading\n", "import abc\nimport enum\nimport threading\nfrom pkg import Base\n")
    code = code.replace("class Counter:", f"class Counter{bases}:")
    text = fixed(code)
    assert "        self._lock = threading.Lock()" in text and "    _lock = threading.Lock()\n\n" not in text


def test_an_in_module_plain_base_still_allows_the_class_lock():
    code = counter().replace("class Counter:", "class Plain:\n    pass\n\n\nclass Counter(Plain):")
    assert "class Counter(Plain):\n    _lock = threading.Lock()\n" in fixed(code)


def test_a_read_after_the_wait_in_the_same_statement_is_not_copied_early():
    code = src(
        """
        import threading


        class Reader:
            def __init__(self):
                self._go = threading.Event()
                self.running = True
                self.peer = None
                self.seen = []

            def start(self):
                threading.Thread(target=self._loop).start()

            def _loop(self):
                while self.running:
                    self.seen.append((self._go.wait(), self.peer))

            def update(self, peer):
                self.peer = peer
                self._go.set()

            def stop(self):
                self.running = False
        """
    )
    loop = fixed(code).split("def _loop")[1].split("def update")[0]
    assert "peer = self.peer" not in loop
    assert any("`self.peer` is read after a wait in the same statement" in r for r in reasons(code))


def test_holding_by_acquire_is_no_wait_of_its_own():
    code = counter(
        "        self._lock = threading.Lock()",
        "\n    def total(self):\n        self._lock.acquire()\n        try:\n            return self.n\n"
        "        finally:\n            self._lock.release()\n",
    )
    text = fixed(code)
    assert "        with self._lock:\n            self.n += 1" in text


def test_narrowing_keeps_module_functions_holding_an_objects_lock():
    code = counter("        self._lock = threading.Lock()", "\n\ndef flush(c):\n    with c._lock:\n        c._work()\n")
    facts = ast_facts(code.encode())
    assert facts is not None and facts.where("object_lock_holder") == {2}
    assert any("`flush()` holds `c._lock` around a call that reaches `_work()`" in r for r in reasons(code))
