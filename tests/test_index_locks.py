"""The project index and the rules agree on what is held: locks known by what they are bound to,
holding stopping at a nested def or lambda, and filelock's timed acquire.

Each case is one class whose `bump()` does `self.n += 1`; the rules' answer (`LockAnalysis.locks_held`
at the update) and the summary's (`rmw` row's `locked` flag) must both equal the expected one.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Optional

import libcst as cst
import pytest

from cortex_racelint.analysis.locks import LockAnalysis, LockInventory
from cortex_racelint.analysis.names import ImportMap
from cortex_racelint.project.summary import build_summary


def _rules_held(source: str) -> list[str]:
    """`locks_held` at the first `self.n += 1` (the rules' model)."""
    module = cst.parse_module(source)
    imports = ImportMap.from_module(module)
    analysis = LockAnalysis(imports, LockInventory.from_module(module, imports))

    def find(node: cst.CSTNode, path: list) -> Optional[list]:
        if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Attribute) and node.target.attr.value == "n":
            return path + [node]
        for child in node.children:
            found = find(child, path + [node])
            if found is not None:
                return found
        return None

    path = find(module, [])
    assert path is not None
    return analysis.locks_held(path)


def _summary_locked(source: str) -> bool:
    """The summary's `locked` flag of the read-modify-write of `self.n` (the index's model)."""
    functions = build_summary(ast.parse(source))["functions"]
    rows = [row for info in functions.values() for row in info.get("rmw", ()) if row[0] == "n"]
    assert len(rows) == 1, rows
    return rows[0][3]


def _case(header: str, lock: str, body: str) -> str:
    """`Counter.bump()` running `body`, then `__init__` binding `self._x` to `lock` (below its use)."""
    return (
        textwrap.dedent(header)
        + "\nclass Counter:\n    def bump(self):\n"
        + textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
        + f"\n\n    def __init__(self):\n        self.n = 0\n        self._x = {lock}\n"
    )


WITH = """
with self._x:
    self.n += 1
"""

#: (header, what `self._x` is bound to, expected: held)
BOUND = [
    ("import threading\n", "threading.Lock()", True),
    ("import threading\n", "threading.RLock()", True),
    ("import threading as th\n", "th.Condition()", True),
    ("from threading import Semaphore\n", "Semaphore()", True),  # the rules treat a semaphore as a lock
    ("import multiprocessing\n", "multiprocessing.Lock()", True),  # excludes threads too
    ("import asyncio\n", "asyncio.Lock()", False),  # not a thread lock
    ("import contextlib\n", "contextlib.ExitStack()", False),
    ("import threading\n", "threading.Event()", False),
]


@pytest.mark.parametrize("header,lock,held", BOUND, ids=[b[1] for b in BOUND])
def test_an_attribute_is_a_lock_by_what_it_is_bound_to_in_both_models(header, lock, held):
    source = _case(header, lock, WITH)  # bound in `__init__`, below the method using it
    assert bool(_rules_held(source)) is held
    assert _summary_locked(source) is held


def test_a_module_global_bound_to_a_lock_below_its_use_is_a_lock():
    source = textwrap.dedent("""
        import threading

        class Counter:
            def bump(self):
                with _gate:
                    self.n += 1

        _gate = threading.Lock()
    """)
    assert _rules_held(source) == ["_gate"]  # not named like a lock
    assert _summary_locked(source) is True
    assert _summary_locked(source.replace("threading.Lock()", "open('x')")) is False


def test_acquire_regions_of_a_lock_known_by_its_binding():
    body = """
    self._x.acquire()
    try:
        self.n += 1
    finally:
        self._x.release()
    """
    assert _summary_locked(_case("import threading\n", "threading.Lock()", body)) is True
    assert _summary_locked(_case("import contextlib\n", "contextlib.ExitStack()", body)) is False


# -- holding stops at a nested def or lambda ----------------------------------------------------

NESTED = """
with self._lock:
    def later():
        self.n += 1
        get_monitor().record()
    self.callbacks.append(later)
    get_monitor().flush()
"""


def _under(source: str) -> list[list]:
    """The calls the summary records as made under a lock: [line, column, locks] rows."""
    return [row for info in build_summary(ast.parse(source))["functions"].values() for row in info.get("under", ())]


def _record_not_under_flush_under(source: str) -> None:
    """The summary: `record()` (in the nested def) is not called under the lock, `flush()` is."""
    lines = {text.strip().split(".")[-1]: i for i, text in enumerate(source.splitlines(), 1) if "get_monitor()" in text}
    under = {row[0] for row in _under(source)}
    assert lines["flush()"] in under
    assert lines["record()"] not in under


def test_a_def_nested_under_a_with_does_not_hold_its_lock():
    source = _case("import threading\n", "threading.Lock()", NESTED).replace("self._x", "self._lock")
    assert _rules_held(source) == []
    _record_not_under_flush_under(source)
    direct = _case("import threading\n", "threading.Lock()", WITH).replace("self._x", "self._lock")
    assert _rules_held(direct) == ["self._lock"]


CALLED_HERE = """
with self._lock:
    def one():
        self.n += 1
    for _ in range(3):
        one()
"""


@pytest.mark.parametrize("extra,held", [("", True), ("@staticmethod\n", False)], ids=["called", "decorated"])
def test_a_nested_def_only_called_by_name_runs_where_it_is_called(extra, held):
    """Called on the spot under the lock: held (no finding, so no fix taking the plain Lock again inside
    it, which the direct call already holds); decorated: it runs later."""
    body = CALLED_HERE.replace("    def one", "    " + extra.replace("\n", "\n    ") + "def one") if extra else CALLED_HERE
    source = _case("import threading\n", "threading.Lock()", body).replace("self._x", "self._lock")
    assert bool(_rules_held(source)) is held


def test_a_nested_def_called_and_handed_on_stays_held():
    body = CALLED_HERE + "    self.callbacks.append(one)\n"
    source = _case("import threading\n", "threading.Lock()", body).replace("self._x", "self._lock")
    assert _rules_held(source) == ["self._lock"]


def test_acquire_regions_stop_at_a_nested_def():
    body = """
    self._lock.acquire()
    def later():
        self.n += 1
        get_monitor().record()
    get_monitor().flush()
    self._lock.release()
    return later
    """
    source = _case("import threading\n", "threading.Lock()", body).replace("self._x", "self._lock")
    assert _rules_held(source) == []
    _record_not_under_flush_under(source)


def test_a_lambda_under_a_with_does_not_hold_the_lock():
    source = textwrap.dedent("""
        import threading
        _lock = threading.Lock()

        def schedule(pool, counter):
            with _lock:
                pool.submit(lambda: counter.record())
                counter.flush()
    """)
    under = build_summary(ast.parse(source))["functions"]["schedule"]["under"]
    assert [row[:2] for row in under] == [[7, 8], [8, 8]]  # `pool.submit` and `counter.flush`, not `record`
    module = cst.parse_module(source)
    imports = ImportMap.from_module(module)
    analysis = LockAnalysis(imports, LockInventory.from_module(module, imports))
    function = module.body[2]
    with_node = function.body.body[0]
    submit = with_node.body.body[0]
    call = submit.body[0].value
    lam = call.args[0].value
    inner = lam.body
    base = [module, function, function.body, with_node, with_node.body, submit, submit.body[0], call, call.args[0]]
    assert analysis.locks_held(base) == ["_lock"]
    assert analysis.locks_held([*base, lam, inner]) == []


# -- filelock: a timed acquire raises on failure, so it holds --------------------------------

TIMED = """
self._x.acquire(timeout=5)
try:
    self.n += 1
finally:
    self._x.release()
"""

FILELOCKS = [
    ("import filelock\n", "filelock.FileLock('x.lock')", True),
    ("from filelock import SoftFileLock\n", "SoftFileLock('x.lock')", True),
    ("import threading\n", "threading.Lock()", False),  # returns False after the timeout
    ("import threading\n", "threading.RLock()", False),
]


@pytest.mark.parametrize("header,lock,held", FILELOCKS, ids=[f[1] for f in FILELOCKS])
def test_a_timed_acquire_holds_only_a_lock_that_raises_on_failure(header, lock, held):
    source = _case(header, lock, TIMED)
    assert bool(_rules_held(source)) is held
    # the summary computes acquire regions during its walk: it trusts a binding it has already seen
    early = (
        textwrap.dedent(header)
        + f"\nclass Counter:\n    def __init__(self):\n        self.n = 0\n        self._x = {lock}\n\n    def bump(self):\n"
        + textwrap.indent(textwrap.dedent(TIMED).strip("\n"), " " * 8)
        + "\n"
    )
    assert bool(_rules_held(early)) is held
    assert _summary_locked(early) is held
    # bound below its use (`__init__` after `bump`): settled once the walk has seen the binding
    assert _summary_locked(source) is held


def test_a_timed_acquire_of_a_name_bound_below_to_a_filelock_and_a_thread_lock_holds_nothing_in_the_summary():
    source = _case("import filelock, threading\n", "filelock.FileLock('x.lock')", TIMED)
    source += "\nclass Other:\n    def __init__(self):\n        self._x = threading.Lock()\n"
    assert _summary_locked(source) is False


def test_a_timed_acquire_of_a_name_never_bound_holds_nothing_in_the_summary():
    source = "class Counter:\n    def bump(self):\n" + textwrap.indent(textwrap.dedent(TIMED).strip("\n"), " " * 8) + "\n"
    assert _summary_locked(source) is False


def test_a_name_bound_to_a_filelock_and_to_a_thread_lock_is_not_trusted_to_raise():
    source = _case("import filelock, threading\n", "filelock.FileLock('x.lock')", TIMED)
    source += "\nclass Other:\n    def __init__(self):\n        self._x = threading.Lock()\n"
    assert _rules_held(source) == []


# -- a lock another module binds -------------------------------------------------------------

MONITOR = """
import contextlib
import threading


class Monitor:
    def __init__(self):
        self.failures = 0
        self.gate = {gate}

    def record(self, ok):
        if not ok:
            self.failures += 1


_monitor = Monitor()


def get_monitor():
    return _monitor
"""

WORKERS = """
from concurrent.futures import ThreadPoolExecutor

from app.locks import door
from app.monitor import get_monitor


def check(url):
    monitor = get_monitor()
    with {held}:
        monitor.record(url.startswith("https"))


def run(urls):
    with ThreadPoolExecutor(4) as pool:
        for url in urls:
            pool.submit(check, url)
"""


def _reached(tmp_path, gate: str, door: str, held: str) -> list[str]:
    from cortex_racelint.project.join import join

    files = {
        "app/__init__.py": "",
        "app/locks.py": f"import contextlib, threading\ndoor = {door}\n",
        "app/monitor.py": MONITOR.replace("{gate}", gate),
        "app/workers.py": WORKERS.replace("{held}", held),
    }
    summaries = {}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        summaries[str(path)] = build_summary(ast.parse(text))
    facts = join(summaries).get(str(tmp_path / "app/monitor.py"), {})
    return sorted(facts.get("classes", {}).get("Monitor", {}).get("methods", {}))


@pytest.mark.parametrize("held", ["monitor.gate", "door"])
def test_a_lock_bound_in_another_module_guards_the_calls_made_under_it(tmp_path, held):
    assert _reached(tmp_path, "threading.Lock()", "threading.Lock()", held) == []
    assert _reached(tmp_path, "contextlib.nullcontext()", "contextlib.nullcontext()", held) == ["record"]


def test_the_summary_keeps_a_def_called_by_name_under_the_lock():
    """As the rules: `one()` runs where it is called, under `_lock`; `later` is handed on and runs later."""
    source = textwrap.dedent("""
        import threading
        _lock = threading.Lock()

        def run(pool, monitor):
            with _lock:
                def one():
                    monitor.record()
                def later():
                    monitor.flush()
                one()
                pool.submit(later)
    """)
    functions = build_summary(ast.parse(source))["functions"]
    assert [row[0] for row in functions["run.one"].get("under", ())] == [8]
    assert "under" not in functions["run.later"]
