"""Code one event-loop thread runs (`project/event_loop.py`): Twisted's reactor, asyncio coroutines.

Each model has its counter-case: reactor code handed to a thread (`deferToThread`,
`callInThread`, a `Thread`), and coroutines of a project that runs event loops on threads.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from cortex_racelint.api import run_files
from cortex_racelint.engine.fixer import fix_source
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config
from cortex_racelint.project.event_loop import file_facts, loop_only
from cortex_racelint.project.summary import build_summary


def _codes(source: str, path: str = "mod.py", codes: tuple[str, ...] = ("CRL101", "CRL301")) -> list[tuple[str, int]]:
    result = lint_source(textwrap.dedent(source), path)
    assert result.error is None, result.error
    return sorted((f.code, f.line) for f in result.findings if f.code in codes)


REACTOR = """
    from twisted.internet import reactor, threads

    _resolver = None


    def getResolver():
        global _resolver
        if _resolver is None:
            _resolver = open("/etc/resolv.conf")
        return _resolver


    LOG = "/var/log/app.log"


    def save_state(text):
        with open(LOG, "w") as f:
            f.write(text)
"""


def test_reactor_code_is_not_reported() -> None:
    assert _codes(REACTOR) == []


def test_the_same_code_without_twisted_is_reported() -> None:
    plain = REACTOR.replace("from twisted.internet import reactor, threads", "import os")
    assert _codes(plain) == [("CRL101", 9), ("CRL301", 18)]


def test_a_module_declaring_thread_use_is_not_reactor_code() -> None:
    """`threadable.synchronize(Cls)` at import says the module's objects are used from threads
    (twisted.python.logfile): its code is reported as any other module's."""
    declared = REACTOR.replace(
        "from twisted.internet import reactor, threads",
        "from twisted.internet import reactor, threads; from twisted.python import threadable",
    ) + textwrap.indent("\n\nclass Log:\n    synchronized = ['write']\n\n    def write(self, text):\n        pass\n\n\nthreadable.synchronize(Log)\n", "    ")
    assert _codes(declared) == [("CRL101", 9), ("CRL301", 18)]
    assert _codes(declared.replace("threadable.synchronize(Log)", "Log()")) == []


def test_a_module_of_the_twisted_package_is_reactor_code(tmp_path: Path) -> None:
    plain = REACTOR.replace("from twisted.internet import reactor, threads", "from . import reactor")
    for package in ("twisted", "othertwist"):
        _write(tmp_path, {f"{package}/__init__.py": "", f"{package}/names/__init__.py": "", f"{package}/names/client.py": plain})
    assert _codes(plain, str(tmp_path / "twisted/names/client.py")) == []
    assert _codes(plain, str(tmp_path / "othertwist/names/client.py")) == [("CRL101", 9), ("CRL301", 18)]


def test_reactor_code_handed_to_defer_to_thread_is_reported() -> None:
    handed = REACTOR + """

    def lookup():
        return getResolver()


    def start():
        return threads.deferToThread(lookup)
    """
    assert _codes(handed) == [("CRL101", 9)]  # through `lookup()`; `save_state` stays on the reactor


def test_call_in_thread_on_a_method_is_reported() -> None:
    source = """
        from twisted.internet import reactor


        class Recorder:
            def __init__(self, path):
                self.path = path

            def start(self):
                reactor.callInThread(self._flush)

            def _flush(self):
                with open(self.path, "w") as f:
                    f.write("x")
    """
    assert _codes(source) == [("CRL301", 13)]


def test_call_from_thread_moves_code_to_the_reactor() -> None:
    """`callFromThread(f)` runs `f` on the reactor thread: it stays reactor code."""
    source = """
        from twisted.internet import reactor


        class Recorder:
            def __init__(self, path):
                self.path = path

            def from_worker(self):
                reactor.callFromThread(self._flush)

            def _flush(self):
                with open(self.path, "w") as f:
                    f.write("x")
    """
    assert _codes(source) == []


def test_a_thread_subclass_in_reactor_code_is_reported() -> None:
    source = """
        import threading

        from twisted.internet import reactor


        class Writer(threading.Thread):
            def __init__(self, path):
                super().__init__()
                self.path = path

            def run(self):
                with open(self.path, "w") as f:
                    f.write("x")
    """
    assert _codes(source) == [("CRL301", 13)]


def test_a_nested_def_handed_to_a_thread_makes_its_def_threaded() -> None:
    source = """
        from twisted.internet import threads

        _cache = None


        def schedule():
            def work():
                global _cache
                if _cache is None:
                    _cache = open("/tmp/c")
                return _cache
            return threads.deferToThread(work)
    """
    assert _codes(source) == [("CRL101", 10)]


# -- asyncio --------------------------------------------------------------------------------

COROUTINES = """
    import asyncio

    _client = None
    LOG = "/var/log/app.log"


    async def get_client():
        global _client
        if _client is None:
            _client = open("/tmp/client")
        return _client


    async def save(data):
        with open(LOG, "w") as f:
            f.write(data)


    def _connect():
        global _conn
        if _conn is None:
            _conn = open("/tmp/conn")
        return _conn


    async def handler():
        return _connect()

    _conn = None
"""


def test_coroutines_on_one_loop_thread_are_not_reported() -> None:
    assert _codes(COROUTINES) == []


def test_coroutines_of_loops_run_in_worker_threads_are_reported() -> None:
    threaded = COROUTINES + """

    import threading


    def worker():
        asyncio.run(handler())


    threading.Thread(target=worker).start()
    """
    assert _codes(threaded) == [("CRL101", 10), ("CRL101", 22)]


def test_asyncio_run_as_the_executor_task_is_a_loop_on_a_thread() -> None:
    threaded = COROUTINES + """

    from concurrent.futures import ThreadPoolExecutor


    def start(pool: ThreadPoolExecutor):
        pool.submit(asyncio.run, handler())
    """
    assert _codes(threaded) == [("CRL101", 10), ("CRL101", 22)]


def test_a_helper_also_called_from_a_thread_is_reported() -> None:
    threaded = COROUTINES + """

    async def offload():
        return await asyncio.to_thread(_connect)
    """
    assert _codes(threaded) == [("CRL101", 22)]


def test_a_public_sync_function_is_reported() -> None:
    """Anyone may call it, from any thread: only private helpers inherit the coroutines' thread."""
    public = COROUTINES.replace("_connect", "connect")
    assert _codes(public) == [("CRL101", 22)]


def test_a_coroutine_window_with_an_await_is_still_reported() -> None:
    """Two tasks interleave at the `await`: a race on one thread, which the model does not hide."""
    source = """
        import asyncio

        _client = None


        async def get_client():
            global _client
            if _client is None:
                await asyncio.sleep(0)
                _client = open("/tmp/client")
            return _client
    """
    assert _codes(source) == [("CRL101", 9)]


# -- the index: across modules, and in a fix -------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(str(path))
    return sorted(paths)


def _project_codes(root: Path, files: dict[str, str]) -> list[tuple[str, str, int]]:
    results = run_files(_write(root, files), Config(root=root), fix=False, jobs=1)
    return sorted((Path(r.path).name, f.code, f.line) for r in results for f in r.findings if f.code in ("CRL101", "CRL301"))


WORKER = """
    from twisted.internet import threads

    from .client import getResolver


    def start():
        return threads.deferToThread(getResolver)
"""


def test_a_thread_entry_in_another_module_is_seen(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/client.py": REACTOR}
    assert _project_codes(tmp_path, files) == []
    files["app/worker.py"] = WORKER
    assert _project_codes(tmp_path, files) == [("client.py", "CRL101", 9)]


def _summaries(root: Path, files: dict[str, str]) -> dict[str, dict]:
    return {p: build_summary(ast.parse(Path(p).read_text())) for p in _write(root, files)}


RUNNER = """
    import asyncio
    import threading

    from .coros import handler


    def worker():
        asyncio.run(handler())


    threading.Thread(target=worker).start()
"""


def test_a_loop_on_a_thread_makes_what_its_coroutine_reaches_threaded(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path, {"app/__init__.py": "", "app/coros.py": COROUTINES, "app/runner.py": RUNNER})
    ranges = loop_only(summaries)[str(tmp_path / "app/coros.py")]
    assert sorted(ranges) == ["get_client", "save"]  # `handler()` and its `_connect()` run on the worker's loop


def test_a_loop_on_a_thread_running_what_the_index_cannot_follow_stops_the_exemptions(tmp_path: Path) -> None:
    """`asyncio.run(main)` with `main` a parameter: any coroutine may run there, so nothing is taken
    for loop-only code (the sync helper `_connect` is fixed). It is no evidence that another module's
    coroutine runs on two threads: the window of `get_client` (no `await`) gets no lock, in a fix as
    in a check and a single-file lint (`project/event_loop.file_facts`; `tests/test_event_loop_paths.py`)."""
    runner = RUNNER.replace("def worker():\n        asyncio.run(handler())", "def worker(main):\n        asyncio.run(main)")
    assert "asyncio.run(main)" in runner
    files = {"app/__init__.py": "", "app/coros.py": COROUTINES, "app/runner.py": runner}
    summaries = _summaries(tmp_path, files)
    coros = str(tmp_path / "app/coros.py")
    assert file_facts(summaries)[coros] == {"loop_only": {}}
    assert loop_only(summaries) == {}
    results = run_files(sorted(summaries), Config(root=tmp_path), fix=True, jobs=1)
    fixed = {Path(r.path).name: r.new_source.decode() for r in results if r.new_source}
    assert "_client_lock" not in fixed["coros.py"]
    assert "    if _conn is None:\n        with _conn_lock:\n" in fixed["coros.py"]


def test_fix_leaves_reactor_code_alone() -> None:
    result = fix_source(textwrap.dedent(REACTOR).encode(), "mod.py", Config())
    assert result.new_source is None or result.new_source == textwrap.dedent(REACTOR).encode()
    assert [f.code for f in result.findings if f.code in ("CRL101", "CRL301")] == []


def test_the_facts_name_the_reason() -> None:
    summary = build_summary(ast.parse(textwrap.dedent(REACTOR)))
    ranges = loop_only({"mod.py": summary})["mod.py"]
    assert set(ranges) == {"getResolver", "save_state"}
    assert "reactor thread" in ranges["getResolver"][2]


PROTOCOL = """
    import asyncio

    _parser = None


    class Server(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            self._setup()
            self._timer = asyncio.get_running_loop().call_later(5, self._expire)

        def _setup(self):
            global _parser
            if _parser is None:
                _parser = open("/tmp/parser")

        def _expire(self):
            self._setup()

        def reset(self):
            self._setup()
"""


def test_protocol_callbacks_and_loop_callbacks_run_on_the_loop() -> None:
    """`connection_made` is called by the loop, `_expire` scheduled on it: `_setup` runs there only."""
    assert _codes(PROTOCOL.replace("        def reset(self):\n            self._setup()\n", "")) == []


def test_a_public_caller_keeps_the_helper_reported() -> None:
    assert _codes(PROTOCOL) == [("CRL101", 15)]


def test_a_helper_handed_to_an_executor_keeps_the_finding() -> None:
    executor = PROTOCOL.replace("call_later(5, self._expire)", "run_in_executor(None, self._expire)").replace(
        "        def reset(self):\n            self._setup()\n", ""
    )
    assert _codes(executor) == [("CRL101", 15)]


# -- CRL401: a side on the reactor -------------------------------------------------------------

POLLER = """
    import threading

    from twisted.internet import reactor, threads


    class Poller:
        def __init__(self):
            self.status = None

        def start(self):
            threading.Thread(target=self._poll).start()

        def _poll(self):
            value = 1
            reactor.callFromThread(self._publish, value)

        def _publish(self, value):
            self.status = value

        def describe(self):
            return self.status
"""


def _crl401(source: str) -> list[int]:
    result = lint_source(textwrap.dedent(source), "poller.py")
    return sorted(f.line for f in result.findings if f.code == "CRL401")


def test_call_from_thread_runs_the_callback_on_the_reactor_side() -> None:
    assert _crl401(POLLER) == []


def test_the_same_call_made_directly_on_the_thread_is_reported() -> None:
    assert _crl401(POLLER.replace("reactor.callFromThread(self._publish, value)", "self._publish(value)")) == [19]


def test_reactor_thread_pool_tasks_are_thread_entries() -> None:
    for start in ("reactor.callInThread(self._poll)", "threads.deferToThread(self._poll)"):
        source = POLLER.replace("threading.Thread(target=self._poll).start()", start).replace(
            "reactor.callFromThread(self._publish, value)", "self._publish(value)"
        )
        assert _crl401(source) == [19], start


def test_a_helper_handed_on_as_a_value_keeps_the_finding() -> None:
    """`register(self._setup)`: whoever calls it later may be on any thread."""
    registered = PROTOCOL.replace("call_later(5, self._expire)", "call_later(5, self._expire)\n            register(self._setup)")
    registered = registered.replace("        def reset(self):\n            self._setup()\n", "")
    assert _codes(registered) == [("CRL101", 16)]


def test_a_fix_judges_reactor_code_with_the_whole_project(tmp_path: Path) -> None:
    """The worker hands `getResolver` to a thread: fixing only the client still fixes it (the
    client is not judged again on its own, where no thread entry is seen)."""
    paths = _write(tmp_path, {"app/__init__.py": "", "app/client.py": REACTOR, "app/worker.py": WORKER})
    client = [p for p in paths if p.endswith("client.py")]
    results = run_files(client, Config(root=tmp_path), fix=True, jobs=1, project_paths=paths)
    fixed = results[0].new_source.decode()
    assert "    if _resolver is None:\n        with _resolver_lock:\n" in fixed
    assert 'with open(LOG, "w")' in fixed and "def save_state(text):\n    with open(LOG" in fixed  # stays reactor code
