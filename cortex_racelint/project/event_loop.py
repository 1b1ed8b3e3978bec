"""Code that runs on one event-loop thread: the two-thread rules do not report it.

A check-then-act, a file write or a connection races only when two threads can run it. Code an
event loop runs is run by one thread, one callback at a time; the loop's framework says which
code that is, and which calls hand code to other threads. The model, per framework:

* **Twisted** (`EVENT_LOOP_PACKAGES`, plus the project's `event-loop-packages`): Twisted's APIs
  run on the reactor thread. A module of the
  `twisted` package, or one importing it, is *reactor code*: a function there runs on the
  reactor thread unless the project hands it (or a function that calls it, as far as the index
  resolves calls) to a thread: `reactor.callInThread`, `ThreadPool.callInThread`,
  `callInThreadWithCallback`, `threads.deferToThread`, `deferToThreadPool` (the index's
  `project/entries.py` table), a `threading.Thread` target or subclass's `run()`, an executor
  task, a `Timer`. `reactor.callFromThread(f)` moves `f` *to* the reactor thread: `f` stays
  reactor code.
* **asyncio**: a coroutine (`async def`), a callback of an `asyncio.Protocol` subclass and a
  callable scheduled with `loop.call_soon`/`call_later`/`call_at`/`call_soon_threadsafe` run on
  the thread of their loop. A loop a thread starts runs what its coroutine reaches
  (`asyncio.run(self.serve())` in a thread target: the index follows `serve()` like any call),
  so that code is threaded; a loop run the index cannot follow (`asyncio.run(main)`,
  `submit(asyncio.run, ...)`, `run_forever()`) in threaded code may run any coroutine, and the
  model is off for the whole project. Otherwise a coroutine, a protocol callback and a private
  helper every caller of which in its module is one of those (or the loop) is single-threaded,
  unless a thread entry reaches it (`asyncio.to_thread`, `run_in_executor`, a `Thread`
  target, ...). A coroutine keeps its lazy-init findings (`COROUTINE_CODES`): tasks interleave
  at an `await`, which the lazy-init rules judge themselves.

Functions are judged as `analysis.one_shot` judges them: the outermost `def` around a finding
(its nested defs with it: a nested callback handed to a thread makes the whole def threaded).
The reach is the index's (`join._Graph`): a call through a local variable or a parameter
resolves to nothing, so code a thread reaches only that way looks single-threaded; this is the
model's known gap (documented on the rule pages). A file linted on its own is a project of one
module: its own thread entries are all it sees.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, Optional

from ..ftypes import Finding
from .join import _Graph, _reach
from .modules import SymbolTable, module_name
from .entries import LOOP_RUNNERS, PROTOCOL_CALLBACKS

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: packages whose code, and code importing which, runs on the framework's event-loop thread
EVENT_LOOP_PACKAGES = ("twisted",)
#: the rules whose premise is two threads running the same code (lazy init, file writes, connections)
CODES = frozenset(
    {"CRL101", "CRL102", "CRL105", "CRL106", "CRL107", "CRL201", "CRL301", "CRL302", "CRL303", "CRL304"}
)
#: a coroutine keeps the lazy-init codes: tasks interleave at each `await` of the window, and the rules
#: already leave out a window with none (`rules/singletons/classification.py`); its file and
#: connection uses run between two awaits, whole
COROUTINE_CODES = frozenset({"CRL201", "CRL301", "CRL302", "CRL303", "CRL304"})
REACTOR = "runs on Twisted's reactor thread: nothing in the project hands it to a thread (deferToThread, callInThread, a Thread)"
COROUTINE = "a coroutine on the event loop's thread: the project runs no event loop on another thread"
PROTOCOL = "an asyncio protocol callback, run by the event loop's thread (the project runs no event loop on another thread)"
LOOP = "<loop>"  # a caller: the event loop running a scheduled callback
HELPER = "called only from coroutines, protocol callbacks and loop callbacks on the event loop's thread (the project runs no event loop on another thread)"
#: quals -> [first line, last line, reason]
Ranges = dict[str, list]


def packages_from_config(value: object, where: str) -> tuple[str, ...]:
    """`event-loop-packages = ["scrapy", "myapp.reactor"]`: ValueError (one line, key named) when malformed."""
    if not isinstance(value, list) or not all(isinstance(v, str) and _DOTTED.match(v) for v in value):
        raise ValueError(f"{where}: `event-loop-packages` must be a list of package names like \"scrapy\", got {value!r}")
    return tuple(value)


def _in_packages(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


#: calls by which a module declares its objects are used from several threads (Twisted's
#: `threadable.synchronize(Cls)` wraps the listed methods in a lock): not reactor-only code
THREAD_DECLARATIONS = frozenset({"synchronize"})


def _framework_module(module: str, summary: dict, packages: tuple[str, ...]) -> bool:
    """Part of an event-loop framework, or importing one, and not declaring itself used from threads."""
    if any(name.rpartition(".")[2] in THREAD_DECLARATIONS for name in summary.get("import_calls", ())):
        return False  # e.g. twisted.python.logfile: `LogFile` is written to from logging threads
    if _in_packages(module, packages):
        return True
    for level, imported, _ in summary.get("imports", {}).values():
        if level == 0 and _in_packages(imported, packages):
            return True
    return False


def _loop_code(summary: dict) -> bool:
    """Coroutines or asyncio protocol classes."""
    return any(i.get("async") for i in summary["functions"].values()) or any(
        i.get("protocol") for i in summary["classes"].values()
    )


def _outer(qual: str, summary: dict) -> str:
    """The outermost def of `qual`: "f" for "f.inner", "C.m" for "C.m.inner"."""
    parts = qual.split(".")
    return ".".join(parts[:2]) if parts[0] in summary.get("classes", {}) else parts[0]


def loop_only(summaries: dict[str, dict], packages: tuple[str, ...] = ()) -> dict[str, Ranges]:
    """path -> {outermost def: [first line, last line, reason]} for code only an event loop runs;
    `packages`: the project's own event-loop packages, besides `EVENT_LOOP_PACKAGES`."""
    return analyse(summaries, packages)[0]


def file_facts(summaries: dict[str, dict], packages: tuple[str, ...] = ()) -> dict[str, dict]:
    """path -> the facts a file is linted with: its `loop_only` ranges.

    A loop another module runs on a thread is not a fact here: it turns the ranges off (nothing is
    dropped as single-threaded) but is no evidence that *this* module's coroutines run on two
    threads, so a coroutine's window without an `await` is reported only when its own module runs
    loops on threads (`analysis/asyncio_loops.loops_on_threads`), in every path alike (a project
    check, a file linted alone, a fix). The precision labels call the project-wide reading false
    (distributed's `InstallPlugin._lock`, made in a coroutine of the scheduler's loop)."""
    ranges, _ = analyse(summaries, packages)
    facts: dict[str, dict] = {path: {"loop_only": found} for path, found in ranges.items()}
    every = (*EVENT_LOOP_PACKAGES, *packages)
    for path, summary in summaries.items():  # judged with the whole project: not again on its own (`standalone`)
        if summary and path not in facts and (_framework_module(module_name(path), summary, every) or _loop_code(summary)):
            facts[path] = {"loop_only": {}}
    return facts


def analyse(summaries: dict[str, dict], packages: tuple[str, ...] = ()) -> tuple[dict[str, Ranges], bool]:
    """`loop_only`, and whether the project runs an event loop on a thread it starts."""
    modules: dict[str, tuple[str, dict]] = {}
    for path in sorted(summaries):
        if summaries[path]:
            modules.setdefault(module_name(path), (path, summaries[path]))
    every = (*EVENT_LOOP_PACKAGES, *packages)
    framework = {m for m, (_, s) in modules.items() if _framework_module(m, s, every)}
    coroutines = any(_loop_code(s) for _, s in modules.values())
    if not framework and not coroutines:
        return {}, False
    graph = _Graph(SymbolTable(modules))
    threaded: set[tuple[str, str]] = set()  # (module, outermost def) some thread runs
    loops_in_threads = False
    for module, (_, summary) in modules.items():
        starts = [(graph.resolve_ref(module, scope, kind, text), text) for _, kind, text, scope, *_ in summary["entries"]]
        for start, text in starts:
            if text.rpartition(".")[2] in LOOP_RUNNERS or text in ("asyncio.run", "uvloop.run"):
                loops_in_threads = True  # `submit(asyncio.run, coro)`: what it runs is not followed
            if start is None:
                continue
            for node in _reach(graph, start[0], start[1]):
                info = graph.summary(node[0])["functions"].get(node[1], {})
                # a loop on this thread: what its coroutine calls is reached above; one the index
                # cannot follow (`asyncio.run(main)`, `run_forever()`) may run any coroutine
                loops_in_threads = loops_in_threads or info.get("loop", 0) > 1
                threaded.add((node[0], _outer(node[1], graph.summary(node[0]))))
    facts: dict[str, Ranges] = {}
    for module, (path, summary) in modules.items():
        found = _module_loop_only(module, summary, threaded, module in framework, coroutines and not loops_in_threads)
        if found:
            facts[path] = found
    return facts, loops_in_threads


def _module_loop_only(module: str, summary: dict, threaded: set, reactor: bool, asyncio_ok: bool) -> Ranges:
    functions = summary["functions"]
    outer = {q: info for q, info in functions.items() if "line" in info and _outer(q, summary) == q}
    found: Ranges = {}
    for qual, info in outer.items():
        if (module, qual) in threaded:
            continue
        cls, _, method = qual.rpartition(".")
        if reactor:
            found[qual] = [info["line"], info["end"], REACTOR]
        elif asyncio_ok and info.get("async"):
            found[qual] = [info["line"], info["end"], COROUTINE]
        elif asyncio_ok and summary["classes"].get(cls, {}).get("protocol") and method in PROTOCOL_CALLBACKS:
            found[qual] = [info["line"], info["end"], PROTOCOL]
    if not asyncio_ok or reactor:
        return found
    # private helpers every caller of which (in the module, at least one) is loop-only code;
    # a callback scheduled on the loop (`loop.call_later(delay, self._expire)`) has the loop as a caller
    callers: dict[str, set[str]] = {}
    handed = set(summary.get("handed", ()))
    for qual, info in functions.items():
        for kind, text, *_ in info.get("calls", []):
            callee = _callee(qual, kind, text, summary)
            if callee is not None and callee in outer:
                callers.setdefault(callee, set()).add(_outer(qual, summary))
        for kind, text in info.get("scheduled", []):
            callee = _callee(qual, kind, text, summary)
            if callee is not None and callee in outer:
                callers.setdefault(callee, set()).add(LOOP)
    changed = True
    while changed:
        changed = False
        for qual, who in callers.items():
            name = qual.rpartition(".")[2]
            if qual in found or (module, qual) in threaded or not name.startswith("_") or name.startswith("__"):
                continue
            if name in handed:
                continue  # handed on as a value (a callback registry, an attribute): it may run anywhere
            if who and all(c == LOOP or c in found for c in who) and qual not in who:
                found[qual] = [outer[qual]["line"], outer[qual]["end"], HELPER]
                changed = True
    return found


def _callee(caller: str, kind: str, text: str, summary: dict) -> Optional[str]:
    """The def of this module a call names: `f()`, `self.m()`/`cls.m()` in a method of the class."""
    if kind != "n":
        return None
    head, _, rest = text.partition(".")
    if not rest:
        return text if text in summary["functions"] else None
    if head in ("self", "cls") and "." not in rest and caller.split(".")[0] in summary["classes"]:
        return f"{caller.split('.')[0]}.{rest}"
    if head in summary["classes"] and "." not in rest:
        return text
    return None


def reason_at(ranges: Ranges, line: int, code: str) -> Optional[str]:
    """Why the code at `line` runs on the event loop's thread only, for a finding of `code`, if it does."""
    if code not in CODES:
        return None
    for start, end, reason in ranges.values():
        if start <= line <= end:
            return None if reason == COROUTINE and code not in COROUTINE_CODES else reason
    return None


def ranges_in(source: str, ranges: Ranges) -> Ranges:
    """`ranges` placed on `source` by name: a fix round moves the lines the facts were made on
    (a lock added above shifts every def below it). The facts' own lines if `source` does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ranges
    placed: Ranges = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            defs = [(f"{stmt.name}.{d.name}", d) for d in stmt.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))]
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs = [(stmt.name, stmt)]
        else:
            continue
        for qual, node in defs:
            if qual in ranges:
                placed[qual] = [node.lineno, node.end_lineno, ranges[qual][2]]
    return placed


def keep(findings: Iterable[Finding], ranges: Optional[Ranges]) -> list[Finding]:
    """The findings not made single-threaded by an event loop."""
    if not ranges:
        return list(findings)
    return [f for f in findings if reason_at(ranges, f.line, f.code) is None]


#: the rule pages' section on this model (`docs.render_rule`, for the rules in `CODES`)
RULE_PAGE_TEXT = """
Not reported: code that only one event-loop thread runs (`project/event_loop.py`), as far as
the project index resolves calls. A call through a parameter or a local is not followed, so
code a thread reaches only that way is taken for loop code; a file linted on its own sees only
its own thread entries.

* **Twisted reactor code**: a module of the `twisted` package, or one importing `twisted` (or a
  package `[tool.racelint] event-loop-packages` names: a framework built on the reactor). Its
  functions run on the reactor thread unless the project hands them (or a function that calls
  them) to a thread: `reactor.callInThread`, `ThreadPool.callInThread`,
  `callInThreadWithCallback`, `threads.deferToThread`, `deferToThreadPool`, a `threading.Thread`
  target or subclass's `run()`, an executor task, a `Timer`. Those are reported as usual.
  `reactor.callFromThread(f)` moves `f` to the reactor thread: `f` stays reactor code. A module
  that declares its objects used from several threads (`threadable.synchronize(Cls)` at import,
  as `twisted.python.logfile` does) is not reactor code: it is reported as usual.
* **asyncio**, unless a thread the project starts runs an event loop on a coroutine the index
  cannot follow (`asyncio.run(main)` with `main` a parameter, `submit(asyncio.run, ...)`,
  `loop.run_forever()`): the callbacks of an `asyncio.Protocol` subclass (`connection_made`,
  `data_received`, ...) and the private helpers of a module every caller of which (in the
  module) is a coroutine, such a callback, or the loop itself (`loop.call_soon`, `call_later`,
  `call_at`, `call_soon_threadsafe`) and that the module hands on as a value nowhere else
  (`register(self._on_data)` may run it on any thread). Code that a thread's own loop runs
  (`asyncio.run(self.serve())` in a thread target) or a thread entry reaches
  (`asyncio.to_thread`, `run_in_executor`) is reported. A coroutine's own lazy initialisation is
  reported when the window awaits (two tasks interleave there, on one thread), or when its own
  module runs event loops on threads (a loop another module runs on a thread only stops the
  exemptions above: it is no evidence that this coroutine runs there); its file writes and
  connections are not (they run whole between two awaits).
"""
