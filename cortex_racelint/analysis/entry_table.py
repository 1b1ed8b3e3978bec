"""The one table of thread entries: code that runs on a thread other than its caller's.

Read by both halves of the analysis, so they agree on what a thread entry is:

* the LibCST rules (`analysis.thread_syntax.thread_target` for the thread starts,
  `analysis.framework_entries` for the framework rows and users' `thread-entries`);
* the project index (`project.entries`, on CPython's `ast`), which follows calls from every
  entry across modules (`project.join`), users' entries included.

Each row is a `ftypes.ThreadEntrySpec`: how it is recognised (a `call` handing over a callable
at `arg`/`keyword`, `.name` for a method of any receiver, or a base class whose `methods` run
on threads), what runs on the new thread (`label`, `notes`), and what the entry promises
(`concurrent`, `per_call`, `holds`, `interrupts`, `threaded_by`, `unthreaded_by`,
`receiver_from`). `docs/THREAD_ENTRIES.md` is generated from it (`table_markdown`).
"""

from __future__ import annotations

from typing import Optional

from ..ftypes import Config, ThreadEntrySpec

_THREADING_SERVERS = (
    "socketserver.ThreadingMixIn",
    "socketserver.ThreadingTCPServer",
    "socketserver.ThreadingUDPServer",
    "socketserver.ThreadingUnixStreamServer",
    "socketserver.ThreadingUnixDatagramServer",
    "http.server.ThreadingHTTPServer",
)
_LOGGING_HANDLERS = tuple(
    f"logging.{name}" for name in ("Handler", "StreamHandler", "FileHandler", "NullHandler")
) + tuple(
    f"logging.handlers.{name}"
    for name in (
        "BufferingHandler", "MemoryHandler", "RotatingFileHandler", "TimedRotatingFileHandler",
        "WatchedFileHandler", "QueueHandler", "SocketHandler", "DatagramHandler", "SysLogHandler",
        "HTTPHandler", "SMTPHandler", "BaseRotatingHandler",
    )
)

#: the label of the `Thread`-subclass row (the project index's hand-overs read a class's `run` by it)
THREAD_SUBCLASS = "thread (`Thread` subclass)"

#: calls that start a thread (or hand a task to a pool of them) on the callable they are given
THREAD_STARTS: tuple[ThreadEntrySpec, ...] = (
    ThreadEntrySpec(
        label="thread target", call="threading.Thread", arg=1, keyword="target", concurrent=False, kind="thread",
        notes="`target` runs on the new thread; a class named `*Thread` is read as a `Thread` subclass",
    ),
    ThreadEntrySpec(
        label="timer callback", call="threading.Timer", arg=1, keyword="function", concurrent=False, kind="timer",
        notes="`function` runs on the timer's thread when it fires",
    ),
    ThreadEntrySpec(
        label="thread target", call="_thread.start_new_thread", arg=0, keyword="function", concurrent=False,
        kind="thread", notes="the low-level thread start",
    ),
    ThreadEntrySpec(
        label="thread target", call="_thread.start_new", arg=0, keyword="function", concurrent=False, kind="thread",
        notes="the old name of `start_new_thread`",
    ),
    ThreadEntrySpec(
        label="executor task", call=".submit", arg=0, keyword="fn", kind="executor",
        notes="a pool runs many tasks at once, each also with itself",
    ),
    ThreadEntrySpec(
        label="executor task", call=".map", arg=0, keyword="func", kind="executor",
        notes="`Executor.map`; not `map` of `str`, `dict`, `itertools`, `builtins`",
    ),
    ThreadEntrySpec(
        label="executor task", call=".run_in_executor", arg=1, keyword="func", kind="executor",
        notes="`loop.run_in_executor(executor, func)`: the default executor is a thread pool",
    ),
    ThreadEntrySpec(
        label="worker thread (asyncio.to_thread)", call="asyncio.to_thread", arg=0, keyword="func", kind="executor",
        notes="runs on the loop's default thread pool",
    ),
)

#: classes whose methods run on the thread they start themselves (the LibCST rules read them in
#: `analysis.thread_syntax`; the project index reads this row)
THREAD_CLASSES: tuple[ThreadEntrySpec, ...] = (
    ThreadEntrySpec(
        label=THREAD_SUBCLASS, bases=("threading.Thread",), methods=("run",), concurrent=False, kind="thread",
        notes="`run()` of a `Thread` subclass runs on the thread `start()` makes",
    ),
)

#: code a library runs on its own threads
FRAMEWORK_ENTRIES: tuple[ThreadEntrySpec, ...] = (
    ThreadEntrySpec(
        label="request handler",
        bases=(
            "socketserver.BaseRequestHandler", "socketserver.StreamRequestHandler",
            "socketserver.DatagramRequestHandler", "http.server.BaseHTTPRequestHandler",
            "http.server.SimpleHTTPRequestHandler", "http.server.CGIHTTPRequestHandler",
        ),
        methods=("*",),
        per_call=True,
        threaded_by=_THREADING_SERVERS,
        notes="one handler object per request, on the request's thread: class-level and `self.server` state is shared",
    ),
    ThreadEntrySpec(
        label="logging handler", bases=_LOGGING_HANDLERS, methods=("emit",), holds="self.lock",
        notes="every logging thread calls `emit()`, under the handler's own lock",
    ),
    ThreadEntrySpec(
        label="FUSE operation",
        bases=("fuse.Operations", "fuse.LoggingMixIn"),
        methods=("*",),
        unthreaded_by=("fuse.FUSE", "nothreads"),
        notes="fusepy runs operations on several threads unless `FUSE(..., nothreads=True)`",
    ),
    ThreadEntrySpec(
        label="done callback", call=".add_done_callback", arg=0, keyword="fn", receiver_from="submit",
        notes="an executor future's callbacks run on the worker thread that finished it",
    ),
    # Twisted hands these to the reactor's thread pool (`project/event_loop.py`: the rest of a
    # Twisted module runs on the reactor thread; `reactor.callFromThread` goes back to it). Read
    # like a `Thread` started at that place: one task per call of the method handing it over
    # (twisted.web's `_WSGIResponse.start()` runs its response's `run()` once), not a pool's many
    ThreadEntrySpec(
        label="reactor thread-pool task", call=".callInThread", arg=0, keyword="f", concurrent=False,
        notes="Twisted's `reactor.callInThread(f)` / `ThreadPool.callInThread(f)`: `f` runs on a pool thread",
    ),
    ThreadEntrySpec(
        label="reactor thread-pool task", call=".callInThreadWithCallback", arg=1, keyword="func", concurrent=False,
        notes="as `callInThread`, with a callback that runs on the pool thread too",
    ),
    ThreadEntrySpec(
        label="`deferToThread` task", call="twisted.internet.threads.deferToThread", arg=0, keyword="f",
        concurrent=False, notes="`f` runs on the reactor's thread pool; the Deferred fires back on the reactor",
    ),
    ThreadEntrySpec(
        label="`deferToThreadPool` task", call="twisted.internet.threads.deferToThreadPool", arg=2, keyword="f",
        concurrent=False, notes="`f` runs on the given thread pool",
    ),
    ThreadEntrySpec(
        label="signal handler", call="signal.signal", arg=1, keyword="handler", concurrent=False, interrupts=True,
        notes="runs on the main thread by interrupting it: races with other threads only",
    ),
    ThreadEntrySpec(
        label="atexit handler", call="atexit.register", arg=0, keyword="func", concurrent=False, interrupts=True,
        notes="runs at exit while other threads may still run",
    ),
)

#: the whole built-in table
ENTRY_TABLE: tuple[ThreadEntrySpec, ...] = THREAD_STARTS + THREAD_CLASSES + FRAMEWORK_ENTRIES

_STARTS_BY_NAME = {spec.call: spec for spec in THREAD_STARTS}


def start_spec(call: str) -> ThreadEntrySpec:
    """The thread-start row of `call` ("threading.Thread", ".submit")."""
    return _STARTS_BY_NAME[call]


def full_table(config: Optional[Config]) -> tuple[ThreadEntrySpec, ...]:
    """Every row, built in then the project's `[tool.racelint] thread-entries`."""
    return ENTRY_TABLE + (config.thread_entries if config is not None else ())


def last_name(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def method_matches(name: str, patterns: tuple[str, ...]) -> bool:
    """`name` is one of `patterns`: `do_*` a prefix, `*` every public method."""
    for pattern in patterns:
        if pattern == "*":
            if not name.startswith("_"):
                return True
        elif pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


def table_markdown(table: tuple[ThreadEntrySpec, ...] = ENTRY_TABLE) -> str:
    """The table as a Markdown table (`docs/THREAD_ENTRIES.md`)."""
    rows = ["| entry | recognised by | callable / methods | several at once | notes |", "|---|---|---|---|---|"]
    for spec in table:
        if spec.call:
            how = f"call `{spec.call}`" + ("" if not spec.receiver_from else f" on the result of `.{spec.receiver_from}()`")
            what = f"argument {spec.arg}" + (f" or `{spec.keyword}=`" if spec.keyword else "")
        else:
            how = "subclass of " + ", ".join(f"`{b}`" for b in spec.bases)
            what = ", ".join(f"`{m}`" for m in spec.methods)
        extra = [spec.notes] if spec.notes else []
        if spec.holds:
            extra.append(f"holds `{spec.holds}`")
        rows.append(f"| {spec.label} | {how} | {what} | {'yes' if spec.concurrent else 'no'} | {'; '.join(extra)} |")
    return "\n".join(rows) + "\n"
