"""CRL401/CRL402: thread-entry analysis, what is (not) reported, fix shapes and no-fix reasons.

The fixture pairs (`fixtures/shared_state/`) and the rules' own examples are checked by
`test_fix_pairs.py` / `test_rule_examples.py`; this file covers the analysis behind them
and the cases a fixture pair cannot show (findings without a fix, the legacy tree).
"""

from __future__ import annotations

import sysconfig
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.analysis.context import LintContext
from cortex_racelint.analysis.threads import CALLER, class_threads

from .conftest import FIXTURES, reported_sites

CRL4 = Config(select=("CRL4",), unsafe_fixes=True)
LEGACY = FIXTURES / "cortex_legacy" / "cortex"


def src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def findings(code: str) -> list[tuple[str, int]]:
    result = lint_source(src(code), "example.py", CRL4)
    assert result.error is None
    return reported_sites(result.findings)  # every site of every race


def analyse(code: str, class_name: str):
    module = cst.parse_module(src(code))
    context = LintContext(module, "example.py")
    for node in module.body:
        if isinstance(node, cst.ClassDef) and node.name.value == class_name:
            return class_threads(context, node), context, node
    raise AssertionError(class_name)


def fixed(code: str) -> str:
    result = fix_source(src(code), "example.py", CRL4)
    assert result.fix_error is None and result.new_source is not None
    text = result.new_source.decode()
    compile(text, "example.py", "exec")
    assert lint_source(text, "example.py", CRL4).findings == []  # clean
    assert fix_source(text, "example.py", CRL4).new_source is None  # idempotent
    return text


# --------------------------------------------------------------------------- entries and sides


@pytest.mark.parametrize(
    "start, kind",
    [
        ("threading.Thread(target=self._work).start()", "thread"),
        ("threading.Thread(None, self._work).start()", "thread"),
        ("threading.Timer(1.0, self._work).start()", "timer"),
        ("threading.Timer(1.0, function=self._work).start()", "timer"),
        ("self._pool.submit(self._work, 1)", "executor"),
        ("list(self._pool.map(self._work, [1, 2]))", "executor"),
        ("self._pool.submit(functools.partial(self._work, 1))", "executor"),
        ("threading.Thread(target=lambda: self._work(1)).start()", "thread"),
        ("asyncio.get_running_loop().run_in_executor(None, self._work, 1)", "executor"),
        ("asyncio.to_thread(self._work, 1)", "executor"),
        ("_thread.start_new_thread(self._work, (1,))", "thread"),
    ],
)
def test_every_way_to_run_a_method_on_a_thread_is_an_entry(start, kind):
    threads, _, _ = analyse(
        f"""
        import _thread, asyncio, functools, threading

        class Worker:
            def go(self):
                {start}

            def _work(self, n=0):
                self._helper()

            def _helper(self):
                pass
        """,
        "Worker",
    )
    assert threads is not None
    assert threads.entries["_work"].kind == kind
    assert threads.entries["_work"].multi == (kind == "executor")
    assert threads.contexts["_helper"] == frozenset({"_work"})  # reached through self.
    assert threads.contexts["go"] == frozenset({CALLER})


def test_thread_subclass_run_nested_targets_and_sides():
    threads, _, _ = analyse(
        """
        import threading

        class Ticker(threading.Thread):
            def __init__(self):
                super().__init__()
                self._setup()

            def _setup(self):
                pass

            def run(self):
                self.process_batch()
                self._tick()

            def process_batch(self):
                pass

            def _tick(self):
                pass

            def watch(self):
                def loop():
                    self._tick()
                threading.Thread(target=loop).start()

            def status(self):
                return self._format()

            def _format(self):
                pass
        """,
        "Ticker",
    )
    assert threads.entries["run"].kind == "run"
    assert "watch.<locals>.loop" in threads.entries
    assert threads.contexts["_tick"] == frozenset({"run", "watch.<locals>.loop"})
    # a public method the class only calls from its thread is a helper of the thread
    assert threads.contexts["process_batch"] == frozenset({"run"})
    assert threads.contexts["_format"] == frozenset({CALLER})
    assert "_setup" not in threads.contexts  # only __init__ calls it


def test_classes_without_threads_are_not_analysed_and_the_analysis_is_memoised():
    code = """
        import threading

        class Plain:
            def go(self):
                self.x = 1

        class Threaded:
            def go(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                pass
        """
    assert analyse(code, "Plain")[0] is None
    threads, context, node = analyse(code, "Threaded")
    assert class_threads(context, node) is threads


def test_access_kinds():
    threads, _, _ = analyse(
        """
        import threading

        class K:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                a = self.r
                self.w = 1
                self.b += 1
                self.c = self.c + [1]
                self.m.append(1)
                self.s[1] = 2
                self.d[1] = self.d.get(1, 0) + 1
                self.e[1] += 1
                for x in self.i:
                    pass
                if 1 not in self.t:
                    self.t[1] = 2
        """,
        "K",
    )
    kinds = {a.attr: a.kind for a in threads.accesses}
    assert kinds == {
        "r": "R", "w": "W", "b": "B", "c": "B", "m": "M", "s": "M", "d": "C", "e": "C", "i": "I", "t": "C",
    }


# --------------------------------------------------------------------------- not reported

NOT_REPORTED = {
    "event and queue signalling": """
        import queue, threading

        class P:
            def __init__(self):
                self._stop = threading.Event()
                self._q = queue.Queue()
                self._thread = threading.Thread(target=self._run)

            def _run(self):
                while not self._stop.is_set():
                    self._q.put(1)

            def stop(self):
                self._stop.set()
                self._thread.join()
                return self._q.get()
        """,
    "assigned only in __init__": """
        import threading

        class P:
            def __init__(self, path):
                self.path = path
                self.limit = 3
                threading.Thread(target=self._run).start()

            def _run(self):
                print(self.path, self.limit)

            def describe(self):
                return self.path
        """,
    "single appends and item stores on both sides": """
        import threading

        class P:
            def __init__(self):
                self.log = []
                self.cache = {}

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.log.append(1)
                self.cache["k"] = 1

            def note(self, x):
                self.log.append(x)
                return self.cache.get("k")
        """,
    "written before start, read after join": """
        import threading

        class P:
            def run(self, n):
                self.n = n
                self.total = 0
                self._spawn()
                self._t.join()
                return self.total

            def _spawn(self):
                self.extra = 1
                self._t = threading.Thread(target=self._work)
                self._t.start()

            def _work(self):
                self.total = self.n + self.extra
        """,
    "pool scoped to a call; setters elsewhere": """
        from concurrent.futures import ThreadPoolExecutor

        class Build:
            def configure(self, flags):
                self.flags = flags

            def run(self, items):
                self.flags = list(self.flags)
                with ThreadPoolExecutor() as pool:
                    list(pool.map(self._one, items))
                self.flags = []

            def _one(self, item):
                return (item, self.flags)
        """,
    "held lock on both sides, via a helper and acquire/release": """
        import threading

        class P:
            def __init__(self):
                self._lock = threading.Lock()
                self._cond = threading.Condition(self._lock)
                self.n = 0

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                with self._cond:
                    self._bump()

            def _bump(self):
                self.n += 1

            def read(self):
                self._lock.acquire()
                try:
                    return self.n
                finally:
                    self._lock.release()
        """,
    "the thread only uses the public API the caller uses too": """
        import threading

        class Conn:
            def read(self):
                self.buf = self.buf + "x"
                return self.buf

            def interact(self):
                threading.Thread(target=self._listen).start()
                return self.read()

            def _listen(self):
                while True:
                    self.read()
        """,
    "single-threaded counter": """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._tick).start()

            def _tick(self):
                self.ticks = getattr(self, "ticks", 0) + 1
        """,
    "unittest setUp before the test starts threads": """
        import threading, unittest

        class T(unittest.TestCase):
            def setUp(self):
                self.stop = False

            def test_it(self):
                threading.Thread(target=self._spin).start()

            def _spin(self):
                while not self.stop:
                    pass
        """,
}


@pytest.mark.parametrize("name", sorted(NOT_REPORTED))
def test_not_reported(name):
    assert findings(NOT_REPORTED[name]) == []


# --------------------------------------------------------------------------- reported, and the messages


def test_messages_name_the_other_side():
    result = lint_source((FIXTURES / "shared_state" / "spinner.py").read_bytes(), "spinner.py", CRL4)
    messages = {line: f.message for f in result.findings for line in (f.line, *(r.start.line for r in f.related))}
    assert messages[39] == (
        "`self._running` is read by thread target `_animate()` and written by `stop()` without a common lock"
        " (1 more site of this race listed with it) (stale read)"  # the consequence kind ends every message
    )
    assert messages[49] == (  # the race's first site names it; line 49 (`update()`) is its other site
        "`self._message` is read by thread target `_animate()` and written by `update()` without a common lock"
        " (1 more site of this race listed with it) (stale read)"
    )
    result = lint_source((FIXTURES / "shared_state" / "executor_counter.py").read_bytes(), "c.py", CRL4)
    messages = {line: f.message for f in result.findings for line in (f.line, *(r.start.line for r in f.related))}
    assert "concurrent executor tasks running `_download()` can lose updates" in messages[28]
    assert "also read by `progress()`" in messages[28]
    assert "(also `self.failed`)" in messages[36]
    result = lint_source((FIXTURES / "shared_state" / "monitor_samples.py").read_bytes(), "m.py", CRL4)
    messages = {line: f.message for f in result.findings for line in (f.line, *(r.start.line for r in f.related))}
    assert "the change can land in the old object after `drain()` replaces it" in messages[24]


def test_swap_while_appending_iteration_and_check_then_act_are_reported():
    assert findings(
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.items.append(1)
                for x in self.seen:
                    print(x)
                if "k" not in self.cache:
                    self.cache["k"] = 1

            def reset(self):
                self.items = []

            def see(self, x):
                self.seen.append(x)

            def forget(self):
                self.cache.clear()
        """
    ) == [
        ("CRL401", 8), ("CRL401", 9), ("CRL401", 15), ("CRL401", 18), ("CRL401", 21), ("CRL402", 12),
    ]


def test_locked_on_one_side_only_blames_the_other_side():
    assert findings(
        """
        import threading

        class P:
            def __init__(self):
                self._lock = threading.Lock()

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                with self._lock:
                    self.state = 1

            def read(self):
                return self.state
        """
    ) == [("CRL401", 15)]


def test_async_starter_is_not_a_scoped_window():
    """While an `async def` awaits its pool, the loop runs other code: setters can race."""
    assert findings(
        """
        import asyncio

        class A:
            def configure(self, flags):
                self.flags = flags

            async def run(self, loop):
                await loop.run_in_executor(None, self._one)

            def _one(self):
                return self.flags
        """
    ) == [("CRL401", 5), ("CRL401", 11)]


# --------------------------------------------------------------------------- fix shapes


def test_fix_reuses_the_lock_the_other_side_holds_and_the_object_mutex():
    text = fixed(
        """
        import threading

        class P:
            def __init__(self):
                self._sem = threading.Semaphore(3)
                self._state_lock = threading.Lock()

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                with self._state_lock:
                    self.state = 1

            def read(self):
                return self.state
        """
    )
    assert "with self._state_lock:\n            return self.state" in text
    assert "self._lock" not in text


def test_fix_never_reuses_a_semaphore():
    text = fixed(
        """
        import threading

        class P:
            def __init__(self):
                self._sem = threading.Semaphore(3)
                self.n = 0

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.n += 1

            def read(self):
                return self.n
        """
    )
    assert "self._lock = threading.Lock()" in text
    assert "with self._sem" not in text


def test_fix_keeps_join_outside_the_lock_and_extends_an_adjacent_critical_section():
    text = fixed(
        """
        import threading

        class P:
            def __init__(self):
                self._lock = threading.Lock()
                self.running = False
                self.count = 0
                self._t = None

            def start(self):
                self.running = True
                self._t = threading.Thread(target=self._run)
                self._t.start()

            def _run(self):
                while self.running:
                    self.count += 1

            def stop(self):
                self.running = False
                self._t.join()
                return self.count  # after join(): ordered

            def progress(self):
                return self.count
        """
    )
    assert (
        "            with self._lock:\n                if not self.running:\n                    break\n"
        "                self.count += 1\n"
    ) in text
    assert "        with self._lock:\n            self.running = False\n        self._t.join()\n" in text


def test_loop_condition_that_calls_out_is_evaluated_outside_the_lock():
    text = fixed(
        """
        import threading

        class P:
            def __init__(self, wait):
                self._wait = wait
                self.handle = None

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                while self._wait(self.handle, 1000):
                    pass

            def close(self):
                self.handle = None
        """
    )
    assert (
        "            with self._lock:\n                handle = self.handle\n"
        "            if not self._wait(handle, 1000):\n                break\n"
    ) in text


def test_blocking_calls_stay_outside_the_lock():
    """Shared reads are copied out of a `with` header; a constructor runs before the store."""
    text = fixed(
        """
        import threading

        class Server:
            def __init__(self):
                self._lock = threading.Lock()
                self.listener = None
                self.client = None

            def start(self):
                threading.Thread(target=self._serve).start()

            def _serve(self):
                while True:
                    with self.listener.accept() as conn:
                        self.client.forward(conn.recv())

            def stop(self):
                self.listener = None

            def connect(self, addr):
                self.client = Client(addr)  # connects a socket: not under the lock
        """
    )
    assert (
        "            with self._lock:\n                listener = self.listener\n"
        "            with listener.accept() as conn:\n"
        "                with self._lock:\n                    client = self.client\n"
        "                client.forward(conn.recv())\n"
    ) in text
    assert "        client = Client(addr)  # connects a socket: not under the lock\n" not in text
    assert "        client = Client(addr)\n        with self._lock:\n            self.client = client  # connects" in text
    assert "        with self._lock:\n            self.listener = None\n" in text


def test_class_without_init_gets_a_class_level_lock():
    text = fixed(
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.n = 1

            def read(self):
                return self.n
        """
    )
    assert "    _lock = threading.Lock()\n" in text


# --------------------------------------------------------------------------- reported without a fix

NO_FIX = {
    "lambda": (
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                register(lambda: self.state)

            def set(self, v):
                self.state = v
        """,
        8,
        "lambda",
    ),
    "lazy generator": (
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.out = (x for x in self.items)

            def reset(self):
                self.items = []
        """,
        8,
        "generator",
    ),
    "elif test": (
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self, x):
                if x:
                    print(x)
                elif self.mode:
                    print(self.mode)

            def set(self, v):
                self.mode = v
        """,
        10,
        "elif",
    ),
    "check-then-act around I/O": (
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                if self.pending:
                    print("flushing")
                    self.pending = []

            def add(self, x):
                self.pending = self.pending + [x]
        """,
        10,
        "check-then-act",
    ),
    "different locks": (
        """
        import threading

        class P:
            def __init__(self):
                self._a = threading.Lock()
                self._b = threading.Lock()

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                with self._a:
                    self.n = 1

            def read(self):
                with self._b:
                    return self.n
        """,
        13,
        "choose one lock",
    ),
    "loop with else": (
        """
        import threading

        class P:
            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                while self.running:
                    pass
                else:
                    print("done")

            def resume(self):
                self.running = True  # set back: not a one-way flag (CRL403)

            def stop(self):
                self.running = False
        """,
        8,
        "else",
    ),
}


@pytest.mark.parametrize("name", sorted(NO_FIX))
def test_reported_without_a_fix_and_says_why(name):
    code, line, reason = NO_FIX[name]
    result = lint_source(src(code), "example.py", CRL4)
    at_line = [f for f in result.findings if line in (f.line, *(r.start.line for r in f.related))]
    assert at_line, [(f.line, f.message) for f in result.findings]
    assert at_line[0].fix_applicability is None
    assert reason in at_line[0].no_fix_reason
    # whatever else was fixable is fixed; the unfixable finding stays, and the output compiles
    after = fix_source(src(code), "example.py", CRL4)
    assert after.fix_error is None
    assert line in {f.line for f in after.findings} or any(reason in (f.no_fix_reason or "") for f in after.findings)


# --------------------------------------------------------------------------- the legacy Cortex tree

LEGACY_FINDINGS = [
    ("graceful_degradation.py", 195, "CRL401"),
    ("graceful_degradation.py", 201, "CRL401"),
    ("install_progress.py", 22, "CRL404"),  # one tracker handed to every worker thread (`args=`)
    ("install_progress.py", 23, "CRL404"),  # (the drain's swap runs after every worker's join: ordered)
    ("parallel_llm.py", 78, "CRL402"),
    ("parallel_llm.py", 79, "CRL402"),
    ("parallel_llm.py", 81, "CRL402"),
    ("parallel_llm.py", 82, "CRL402"),
    ("parallel_llm.py", 87, "CRL401"),
    ("parallel_llm.py", 90, "CRL401"),
    ("progress_indicators.py", 58, "CRL401"),
    ("progress_indicators.py", 60, "CRL401"),
    ("progress_indicators.py", 61, "CRL401"),
    ("progress_indicators.py", 62, "CRL401"),
    ("progress_indicators.py", 68, "CRL401"),
    ("progress_indicators.py", 69, "CRL401"),
    ("progress_indicators.py", 72, "CRL401"),
    ("request_stats.py", 23, "CRL404"),  # the module table's TOTAL entry, a constant key every worker uses
    ("request_stats.py", 25, "CRL404"),
    ("run_metrics.py", 31, "CRL405"),  # a dict json.dump-ed by the saver thread while record() adds to it
    ("run_metrics.py", 34, "CRL405"),  # (forget() removes from it)
    ("run_metrics.py", 38, "CRL405"),
    ("status_server.py", 34, "CRL401"),  # a logging handler's state drained outside its handler lock
    ("status_server.py", 45, "CRL402"),  # a request handler's class-level counter
    ("usage_ledger.py", 23, "CRL406"),  # the process-wide ledger json.dump-ed by the flusher while workers record
]


def test_legacy_tree_findings_are_exactly_the_known_races():
    found = []
    for path in sorted(LEGACY.rglob("*.py")):
        result = lint_source(path.read_bytes(), str(path), CRL4)
        assert result.error is None
        found += [(path.name, line, code) for code, line in reported_sites(result.findings)]
        assert all(f.fix_applicability is not None for f in result.findings)
    assert sorted(found) == LEGACY_FINDINGS


@pytest.mark.parametrize("name", ["progress_indicators.py", "parallel_llm.py", "graceful_degradation.py"])
def test_legacy_fixes_are_clean_idempotent_and_minimal(name):
    raw = (LEGACY / name).read_bytes()
    result = fix_source(raw, name, CRL4)
    assert result.fix_error is None and result.new_source is not None
    text = result.new_source.decode()
    assert lint_source(text, name, CRL4).findings == []
    assert fix_source(text, name, CRL4).new_source is None
    if name == "parallel_llm.py":  # holds nothing uncopyable: the lock is a class attribute, not in __dict__
        assert "    _lock = threading.Lock()\n" in text and "self._lock = threading.Lock()" not in text
    else:  # holds a Thread / an Event already: one lock per object
        assert "self._lock = threading.Lock()" in text
    if name == "progress_indicators.py":
        assert (
            "        while True:\n            with self._lock:\n                if not self._running:\n"
            "                    break\n                current_message = self._current_message\n"
        ) in text
        assert '            self._stream.write(f"\\r{frame} {current_message}")' in text
        assert "        with self._lock:\n            self._running = False\n        if self._thread is not None:\n" in text
    if name == "graceful_degradation.py":
        assert "        with self._lock:\n            samples = self.samples\n            self.samples = []\n        return samples" in text
        assert "self.mode" not in text.split("def _monitor_loop")[1].split("def drain_samples")[0]


# --------------------------------------------------------------------------- precision on the standard library

STDLIB = Path(sysconfig.get_paths()["stdlib"])
QUIET = [
    "threading.py", "queue.py", "socketserver.py", "concurrent/futures/thread.py", "concurrent/futures/process.py",
    "logging/handlers.py", "logging/config.py", "telnetlib.py", "sched.py", "multiprocessing/pool.py",
    "multiprocessing/queues.py", "multiprocessing/managers.py", "distutils/command/build_ext.py",
    "asyncio/tasks.py", "subprocess.py",
]


@pytest.mark.parametrize("name", QUIET)
def test_standard_library_threads_are_not_false_alarms(name):
    path = STDLIB / name
    if not path.exists():
        pytest.skip(f"{name} not in this Python")
    result = lint_source(path.read_bytes(), str(path), CRL4)
    assert result.error is None
    found = [(f.line, f.message) for f in result.findings]
    if name == "distutils/command/build_ext.py":  # worker tasks all overwrite `_built_objects`: real
        assert [m for _, m in found] == [m for _, m in found if "_built_objects" in m] and len(found) == 1
    else:
        assert found == []
