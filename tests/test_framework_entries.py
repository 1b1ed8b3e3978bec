"""Framework thread entries (`analysis.framework_entries`): each table entry, reported and not.

A class that starts no thread can still run on several: the framework calls it. Each entry
of the built-in table has a case that is reported and one that is not (the precision side:
a single-threaded server, an asyncio future, a signal handler racing only the main thread).
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.analysis.framework_entries import BUILTIN_ENTRIES, entries_from_config, module_thread_entries
from cortex_racelint.ftypes import ThreadEntrySpec

CRL4 = Config(select=("CRL4",), unsafe_fixes=True)


def src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def found(code: str, config: Config = CRL4) -> list[tuple[str, int]]:
    result = lint_source(src(code), "example.py", config)
    assert result.error is None
    return sorted((f.code, f.line) for f in result.findings)


def messages(code: str, config: Config = CRL4) -> list[str]:
    return [f.message for f in lint_source(src(code), "example.py", config).findings]


def fixed(code: str, config: Config = CRL4) -> str:
    result = fix_source(src(code), "example.py", config)
    assert result.fix_error is None and result.new_source is not None
    return result.new_source.decode()


HANDLER = """
    from http.server import BaseHTTPRequestHandler, {server}

    class Status(BaseHTTPRequestHandler):
        hits = 0
        paths = {{}}

        def do_GET(self):
            self.started = 1
            self.started += 1
            type(self).hits += 1
            self.paths[self.path] = self.paths.get(self.path, 0) + 1
            self.server.total += 1
            self.send_response(200)

    def serve():
        {server}(("127.0.0.1", 0), Status).serve_forever()
"""


def test_request_handler_of_a_threading_server_shares_class_and_server_state():
    sites = found(HANDLER.format(server="ThreadingHTTPServer"))
    assert sites == [("CRL402", 10), ("CRL402", 11), ("CRL402", 12)]  # not `self.started`: per request
    text = " ".join(messages(HANDLER.format(server="ThreadingHTTPServer")))
    assert "`self.__class__.hits`" in text and "`self.server.total`" in text and "request handler `do_GET()`" in text


def test_request_handler_of_a_single_threaded_server_is_not_reported():
    assert found(HANDLER.format(server="HTTPServer")) == []


def test_socketserver_handler_through_an_in_module_base():
    code = """
        import socketserver

        class Counting(socketserver.StreamRequestHandler):
            served = 0

        class Echo(Counting):
            def handle(self):
                Echo.served += 1
                self.wfile.write(self.rfile.readline())

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            pass
    """
    assert found(code) == [("CRL402", 8)]


def test_request_handler_fix_takes_a_class_lock_even_with_an_init():
    code = """
        import socketserver

        class Echo(socketserver.BaseRequestHandler):
            served = 0

            def __init__(self, *args):
                self.local = 0
                super().__init__(*args)

            def handle(self):
                type(self).served += 1

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    """
    out = fixed(code)
    assert "    _lock = threading.Lock()\n" in out  # in the class body: shared by every request's handler
    assert "self._lock = " not in out
    assert "        with self._lock:\n            type(self).served += 1\n" in out


LOGGING = """
    import logging

    class ListHandler(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []
            self.count = 0

        def emit(self, record):
            self.count += 1
            self.records.append(self.format(record))
            self._trim()

        def _trim(self):
            if len(self.records) > 100:
                self.records = self.records[-100:]
{extra}
"""


def test_logging_emit_runs_under_the_handler_lock():
    assert found(LOGGING.format(extra="")) == []  # emit's own state: handle() holds self.lock


def test_logging_handler_state_read_outside_the_lock_is_reported_and_fixed_with_it():
    drain = """
        def drain(self):
            out = self.records
            self.records = []
            return out
    """
    code = LOGGING.format(extra=textwrap.indent(textwrap.dedent(drain), " " * 8))
    assert [c for c, _ in found(code)] == ["CRL401"]
    assert "with self.lock:\n            out = self.records\n            self.records = []" in fixed(code)


def test_logging_handler_acquire_release_is_the_handler_lock():
    drain = """
        def drain(self):
            self.acquire()
            try:
                out = self.records
                self.records = []
            finally:
                self.release()
            return out
    """
    assert found(LOGGING.format(extra=textwrap.indent(textwrap.dedent(drain), " " * 8))) == []


ROTATING = """
    import logging

    class RollingHandler(logging.Handler):
        def __init__(self, path):
            super().__init__()
            self.path = path
            self.rollovers = 0
            self.{setup}()

        def {setup}(self):
            # the construction step: catch up with the rollovers missed while stopped
            while self.rollovers < 3:
                self.roll()

        def emit(self, record):
            if record.levelno > 40:
                self.roll()

        def roll(self):
            self.rollovers += 1
{extra}
"""


@pytest.mark.parametrize("setup", ["_catch_up", "catch_up"])
def test_logging_handler_helper_also_run_by_its_construction_step_keeps_the_handler_lock(setup):
    # `roll()` runs from `emit()` (under self.lock) and from a method only `__init__` calls:
    # construction comes before any logging thread, so two `emit()`s cannot lose a rollover
    assert found(ROTATING.format(setup=setup, extra="")) == []


def test_logging_handler_helper_also_run_by_public_api_is_still_reported():
    # a public method nothing in the class calls is API a thread may call while others log
    api = """
        def force_roll(self):
            self.roll()
    """
    code = ROTATING.format(setup="_catch_up", extra=textwrap.indent(textwrap.dedent(api), " " * 8))
    assert [c for c, _ in found(code)] == ["CRL402"]


def test_at_fork_reinit_runs_alone_in_the_child():
    # logging calls `_at_fork_reinit()` in a forked child: its one thread races nothing
    reinit = """
        def _at_fork_reinit(self):
            super()._at_fork_reinit()
            self.records = []
            self.count = 0
    """
    assert found(LOGGING.format(extra=textwrap.indent(textwrap.dedent(reinit), " " * 8))) == []


FUSE = """
    from fuse import FUSE, Operations

    class Memory(Operations):
        def __init__(self):
            self.fd = 0

        def open(self, path, flags):
            self.fd += 1
            return self.fd

    def main(mountpoint):
        FUSE(Memory(), mountpoint{flags})
"""


def test_fuse_operations_run_concurrently():
    assert ("CRL402", 8) in found(FUSE.format(flags=""))
    assert ("CRL402", 8) in found(FUSE.format(flags=", nothreads=False"))


def test_fuse_without_threads_is_not_reported():
    assert found(FUSE.format(flags=", nothreads=True")) == []


def test_done_callback_of_an_executor_future():
    code = """
        from concurrent.futures import ThreadPoolExecutor

        class Jobs:
            def __init__(self):
                self.pool = ThreadPoolExecutor(4)
                self.completed = 0

            def run(self, job):
                future = self.pool.submit(job)
                future.add_done_callback(self._done)

            def _done(self, future):
                self.completed += 1
    """
    assert found(code) == [("CRL402", 13)]
    assert "done callback `_done()`" in messages(code)[0]


def test_done_callback_of_an_asyncio_task_runs_on_the_loop():
    code = """
        import asyncio

        class Jobs:
            def __init__(self):
                self.completed = 0

            async def run(self, job):
                task = asyncio.ensure_future(job())
                task.add_done_callback(self._done)

            def _done(self, task):
                self.completed += 1
    """
    assert found(code) == []


SIGNALS = """
    import signal
    import threading

    class Worker:
        def __init__(self):
            self.count = 0
            signal.signal(signal.SIGUSR1, self._reset)
{start}
        def _run(self):
            while True:
                self.count += 1

        def _reset(self, signum, frame):
            self.count = 0

        def status(self):
            return self.count
"""


def test_signal_handler_racing_another_thread_is_reported():
    start = "            threading.Thread(target=self._run, daemon=True).start()\n"
    sites = found(SIGNALS.format(start=start))
    assert ("CRL401", 15) in sites or ("CRL402", 15) in sites, sites
    assert any("signal handler `_reset()`" in m for m in messages(SIGNALS.format(start=start)))


def test_signal_handler_racing_only_the_main_thread_is_not_reported():
    code = """
        import signal

        class Worker:
            def __init__(self):
                self.stopping = False
                signal.signal(signal.SIGTERM, self._on_term)

            def _on_term(self, signum, frame):
                self.stopping = True

            def loop(self):
                while not self.stopping:
                    self.stopping = self.poll()
    """
    assert found(code) == []


def test_atexit_handler_racing_a_thread():
    code = """
        import atexit
        import threading

        class Buffer:
            def __init__(self):
                self.items = []
                atexit.register(self._flush)
                threading.Thread(target=self._fill, daemon=True).start()

            def _fill(self):
                while True:
                    self.items.append(1)

            def _flush(self):
                for item in self.items:
                    print(item)
                self.items = []
    """
    assert "atexit handler `_flush()`" in " ".join(messages(code))
    only_main = code.replace("                threading.Thread(target=self._fill, daemon=True).start()\n", "")
    assert found(only_main) == []


# -- the project's own entries ----------------------------------------------------------------

WORKER = """
    import mylib

    class Job(mylib.Worker):
        def __init__(self):
            self.done = 0

        def run_job(self):
            self.done += 1

    class Pump:
        def __init__(self):
            self.sent = 0

        def go(self):
            mylib.spawn(self._send)

        def _send(self):
            self.sent += 1
"""


def test_configured_entries():
    assert found(WORKER) == []  # the framework is unknown: nothing runs on a thread
    entries = entries_from_config(
        [{"base": "mylib.Worker", "methods": ["run_job"]}, {"call": "mylib.spawn", "arg": 0, "label": "pumped task"}], "x"
    )
    config = Config(select=("CRL4",), unsafe_fixes=True, thread_entries=entries)
    assert found(WORKER, config) == [("CRL402", 8), ("CRL402", 18)]
    assert any("pumped task `_send()`" in m for m in messages(WORKER, config))


@pytest.mark.parametrize(
    "label, plural", [(None, "thread entries"), ("batch", "batches"), ("pumped task", "pumped tasks"), ("relay", "relays")]
)
def test_configured_entry_label_is_pluralised_in_the_message(label, plural):
    """The label is the user's: "concurrent thread entrys" was the default label with an `s` glued on."""
    table = {"base": "mylib.Worker", "methods": ["run_job"], **({"label": label} if label else {})}
    config = Config(select=("CRL4",), unsafe_fixes=True, thread_entries=entries_from_config([table], "x"))
    [message] = [m for m in messages(WORKER, config) if "run_job" in m]
    assert f"concurrent {plural} running `run_job()`" in message


def test_configured_entries_pass_the_prefilter(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.racelint]\nthread-entries = [{ base = "mylib.Worker", methods = ["run_job"] }]\n'
    )
    (tmp_path / "job.py").write_text(src(WORKER))
    result = run_cli("check", "--no-cache", "job.py", cwd=tmp_path)
    assert result.code == 1 and "job.py:8" in result.out


@pytest.mark.parametrize(
    "table,needle",
    [
        ("thread-entries = 1", "`thread-entries` must be a list of tables"),
        ('thread-entries = [{ base = "a.B" }]', "`methods` must be a non-empty list"),
        ('thread-entries = [{ base = "a.B", call = "c", methods = ["m"] }]', "exactly one of `base`"),
        ('thread-entries = [{ call = "a b" }]', "`call` must be a dotted name"),
        ('thread-entries = [{ call = "a.b", arg = -1 }]', "`arg` must be the callable's position"),
        ('thread-entries = [{ call = "a.b", methods = ["m"] }]', "`methods` applies to a `base` entry only"),
        ('thread-entries = [{ base = "a.B", methods = ["m"], holds = "lock" }]', '"self.<attribute>"'),
        ('thread-entries = [{ base = "a.B", methods = ["m"], concurrent = "yes" }]', "`concurrent` must be true or false"),
        ('thread-entries = [{ bse = "a.B" }]', "unknown key `bse`"),
    ],
)
def test_bad_thread_entries_are_one_line_exit_2(run_cli, tmp_path, table, needle):
    (tmp_path / "pyproject.toml").write_text(f"[tool.racelint]\n{table}\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_cli("check", "a.py", cwd=tmp_path)
    assert result.code == 2
    assert needle in result.err and "thread-entries" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_module_thread_entries_for_the_index():
    module = cst.parse_module(src(HANDLER.format(server="ThreadingHTTPServer")) + src(WORKER))
    config = Config(thread_entries=(ThreadEntrySpec(label="pumped task", call="mylib.spawn"),))
    entries = {(e.owner, e.function, e.spec.label) for e in module_thread_entries(module, config)}
    assert entries == {("Status", "do_GET", "request handler"), ("Pump", "_send", "pumped task")}


def test_every_builtin_entry_is_recognisable():
    for spec in BUILTIN_ENTRIES:
        assert bool(spec.bases) != bool(spec.call), spec.label
        assert spec.methods or spec.call, spec.label


@pytest.mark.parametrize(
    "code",
    [
        HANDLER.format(server="ThreadingHTTPServer"),
        HANDLER.format(server="HTTPServer"),
        LOGGING.format(extra=""),
        FUSE.format(flags=""),
        FUSE.format(flags=", nothreads=True"),
        SIGNALS.format(start="            threading.Thread(target=self._run, daemon=True).start()\n"),
    ],
    ids=["threading-server", "plain-server", "logging", "fuse", "fuse-nothreads", "signal"],
)
def test_prefilter_keeps_every_framework_finding(code):
    """The byte and `ast` stages, and narrowing, keep what decides a framework entry (the
    threading server, `FUSE(nothreads=)` in another statement)."""
    screened = lint_source(src(code), "example.py", CRL4)
    whole = lint_source(src(code), "example.py", CRL4, use_prefilter=False)
    assert [(f.code, f.line, f.message) for f in screened.findings] == [(f.code, f.line, f.message) for f in whole.findings]


def test_no_fix_when_the_handler_makes_its_own_lock():
    drain = """
        def createLock(self):
            self.lock = None  # no locking: emit is cheap

        def drain(self):
            out = self.records
            self.records = []
            return out
    """
    code = LOGGING.format(extra=textwrap.indent(textwrap.dedent(drain), " " * 8))
    result = lint_source(src(code), "example.py", CRL4)
    assert [f.code for f in result.findings] == ["CRL401"]
    assert result.findings[0].fix_applicability is None
    assert "`createLock()` overridden" in result.findings[0].no_fix_reason


def test_configured_per_call_and_held_lock():
    code = """
        import mylib

        class Task(mylib.Job):
            done = 0

            def run(self):
                self.mine = 1
                self.mine += 1
                type(self).done += 1

        class Sink(mylib.Sink):
            def __init__(self):
                self.rows = []

            def write(self, row):
                self.rows.append(row)
                self.rows = self.rows[-10:]

            def take(self):
                rows, self.rows = self.rows, []
                return rows
    """
    entries = entries_from_config(
        [
            {"base": "mylib.Job", "methods": ["run"], "per-call": True},
            {"base": "mylib.Sink", "methods": ["write"], "holds": "self.lock"},
        ],
        "x",
    )
    config = Config(select=("CRL4",), unsafe_fixes=True, thread_entries=entries)
    assert found(code, config) == [("CRL401", 20), ("CRL402", 9)]
    assert "with self.lock:\n            rows, self.rows = self.rows, []" in fixed(code, config)


def test_server_state_changed_outside_the_handler_gets_no_fix():
    code = """
        import socketserver

        class Echo(socketserver.BaseRequestHandler):
            def handle(self):
                self.server.total += 1

        class Server(socketserver.ThreadingTCPServer):
            def __init__(self, address):
                super().__init__(address, Echo)
                self.total = 0  # construction: fine

            def reset(self):
                self.total = 0
    """
    result = lint_source(src(code), "example.py", CRL4)
    assert [(f.code, f.line) for f in result.findings] == [("CRL402", 5)]
    assert result.findings[0].fix_applicability is None
    assert "code outside the handler also changes `.total`" in result.findings[0].no_fix_reason
    without_reset = src(code).split("    def reset")[0]
    assert lint_source(without_reset, "example.py", CRL4).findings[0].fix_applicability is not None


def test_state_shared_across_requests_is_locked_whole_statements_only():
    """The loop and copy forms spell `self.<attr>`: for `type(self).n` / `self.server.x` they
    would build invalid code, so those accesses get a reason and the rest a plain `with`."""
    code = """
        import socketserver
        import time

        class Stream(socketserver.StreamRequestHandler):
            clients = 0

            def handle(self):
                type(self).clients += 1
                while Stream.clients < 100:
                    self.wfile.write(b"%d %s" % (type(self).clients, self.server.note))
                    self.server.note = "x"
                    time.sleep(1)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Stream)
    """
    result = lint_source(src(code), "example.py", CRL4)
    assert result.error is None
    reasons = {f.line: f.no_fix_reason for f in result.findings}
    assert reasons[8] is None and reasons[11] is None  # plain statements: fixed
    assert "loop condition" in reasons[9] and "must not run under the lock" in reasons[10]
    out = fixed(code)
    assert "        with self._lock:\n            type(self).clients += 1\n" in out
    assert "            with self._lock:\n                self.server.note = \"x\"\n" in out
    compile(out, "fixed.py", "exec")
