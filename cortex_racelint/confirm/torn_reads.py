"""The barrier reproducer of CRL302: a reader that skips the lock, paired with the writer holding it.

The window is deterministic: the writer's first `write()` writes half its data, flushes, and waits
(the `HeldFile` of CRL301's family) with the writers' lock held and the file truncated; the reader,
driven on another thread once the writer waits there, opens the file. Opening it while the writer
waits is the race: it sees an empty or half-written file (what the read returned or raised is
named). The writer waits until the reader has returned, or for the timeout. With the writers' lock
around the read (the fix) the reader cannot open the file until the writer is done: the writer's
hold times out, and the reader then opens the whole file (required: a reader that never opens the
writer's file proves nothing, and is not reached).

The writer is found in the parent (`writer_of`): a function of the reader's class (or of the module,
for a module function) that writes the same path, by its text (`self.path`), as the rule matches it,
preferring one whose write is inside a `with` (the writers' lock). The writer runs once first,
outside the window, so that the reader has a whole file to find at all; then the reader once, alone,
to learn which files it reads: the write held is the writer's first to one of those (a writer that
first writes a backup or a log is held at the file the reader reads). An appender writes half its
data too: the reader then sees a torn last record.

Why not frontrun: the file is what the threads share, which DPOR does not see without its I/O layer
(`docs/CONFIRM.md`, the file-write row).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import io
import os
import threading
from typing import Any, Optional

from .drive import Report, describe, join, report, start_threads
from .hooks import HeldFile, opened_path
from .spec import NotRunnable
from .targets import instance_for, resolve

REACH_SECONDS = 1.5
_WRITING = frozenset("wxa+")
_READS = ("read_text", "read_bytes", "open")
_WRITES = ("write_text", "write_bytes")


# -- the parent: which function writes the file the finding reads -----------------------

def _mode(call: ast.Call, position: int) -> str:
    mode = call.args[position] if len(call.args) > position else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"


def _file_use(call: ast.Call) -> Optional[tuple[str, bool]]:
    """(path text, writes) of an `open(p, mode)`, `p.open(mode)`, `p.read_text()`, `p.write_text(...)` call."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "open" and call.args or (
        isinstance(func, ast.Attribute) and func.attr == "open" and isinstance(func.value, ast.Name)
        and func.value.id == "io" and call.args
    ):
        return ast.unparse(call.args[0]), bool(_WRITING & set(_mode(call, 1)))
    if isinstance(func, ast.Attribute) and func.attr in _READS + _WRITES:
        writes = func.attr in _WRITES or (func.attr == "open" and bool(_WRITING & set(_mode(call, 0))))
        return ast.unparse(func.value), writes
    return None


def _read_path(function: ast.AST, line: int, column: int) -> str:
    """The path text of the read the finding points at (its call, else the first read on its line)."""
    reads = [(c, use[0]) for c in ast.walk(function) if isinstance(c, ast.Call) and c.lineno == line
             for use in [_file_use(c)] if use is not None and not use[1]]
    if not reads:
        raise NotRunnable("no file read found at the finding's line")
    return next((text for call, text in reads if call.col_offset == column - 1), reads[0][1])


def _locked_writes(function: ast.AST, path: str) -> tuple[int, int]:
    """(writes of `path` inside a `with` that is not the write's own, all writes of `path`) in `function`."""
    locked = total = 0
    for node in ast.walk(function):
        if not isinstance(node, (ast.With, ast.FunctionDef)):
            continue
        inner = node.body if isinstance(node, ast.With) else [node]
        for statement in inner:
            for call in ast.walk(statement):
                use = _file_use(call) if isinstance(call, ast.Call) else None
                if use is not None and use[1] and use[0] == path:
                    if isinstance(node, ast.With):
                        locked += 1
                    else:
                        total += 1
    return locked, total


def writer_of(tree: ast.Module, reader: str, line: int, column: int) -> str:
    """`Class.method` (or `function`) writing the file the reader at `line` reads."""
    owner_name, _, name = reader.rpartition(".")
    scope: list[ast.stmt] = tree.body
    if owner_name:
        owner = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner_name), None)
        scope = owner.body if owner is not None else []
    functions = [n for n in scope if isinstance(n, ast.FunctionDef)]
    reading = next((f for f in functions if f.name == name), None)
    if reading is None:
        raise NotRunnable(f"`{reader}` is not a function of its module or class")
    path = _read_path(reading, line, column)
    ranked = []
    for function in functions:
        locked, total = _locked_writes(function, path)
        if total:
            ranked.append((-locked, function.lineno, function.name))
    if not ranked:
        where = f"class `{owner_name}`" if owner_name else "the module"
        raise NotRunnable(f"no function of {where} writes `{path}` (the writer the reader must be paired with)")
    writer = min(ranked)[2]
    return f"{owner_name}.{writer}" if owner_name else writer


# -- the child: the run -----------------------------------------------------------------

class _Run:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.writer = self.reader = 0  # thread idents
        self.held, self.read_done = threading.Event(), threading.Event()
        self.path: Optional[str] = None
        self.released = self.timed_out = False
        self.torn: Optional[str] = None  # what the reader found on disk while the writer waited
        self.opened = False  # the reader opened the writer's file (at any time)
        self.learning = True  # the reader's first call, alone: which files it reads
        self.reads: set[str] = set()

    def holds(self, path: str) -> bool:
        """The writer's write to hold: the first to a file the reader reads (the first at all if it read none)."""
        return self.path is None and (path in self.reads or not self.reads)

    def hold(self, path: str) -> None:
        """The writer, half its first write on disk, waits for the reader (or the timeout)."""
        self.path = path
        self.held.set()
        self.timed_out = not self.read_done.wait(self.timeout)
        self.released = True

    def reading(self, path: str) -> None:
        if self.learning:
            self.reads.add(path)
            return
        if path != self.path:
            return
        self.opened = True
        if self.held.is_set() and not self.released and self.torn is None:
            try:
                size = os.path.getsize(path)
            except OSError:
                size = -1
            self.torn = f"{size} bytes on disk"


_RUN: list[_Run] = []


class _Hook:
    installed = False

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        real_open = io.open

        def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(file, mode, *args, **kwargs)
            run = _RUN[-1] if _RUN else None
            path = opened_path(file) if run is not None else None
            if run is None or path is None:
                return handle
            me = threading.get_ident()
            if _WRITING & set(mode):
                if me == run.writer and run.holds(path):
                    run.path = path  # an appender too writes half its data: the reader sees a torn last record
                    return HeldFile(handle, lambda: run.hold(path))
            elif me == run.reader:
                run.reading(path)
            return handle

        builtins.open = io.open = hooked_open


_HOOK = _Hook()


def install_torn_read(family: str) -> None:
    if family == "torn-read":
        _HOOK.install()


def run_torn_read(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    reader = resolve(module, spec["function"], instance)
    writer = resolve(module, spec["other_function"], instance)
    _first_write(writer.call)
    run = _Run(timeout)
    run.reader = threading.get_ident()
    _RUN[:] = [run]
    try:  # the reader once, alone: the files it reads are the ones whose write is held
        reader.call()
    except Exception:  # noqa: BLE001 - the driven call reports its own errors
        pass
    finally:
        _RUN.clear()
    run.learning, run.reader = False, 0
    outcome: list[str] = []

    def write() -> None:
        run.writer = threading.get_ident()
        writer.call()

    def read() -> None:
        run.reader = threading.get_ident()
        if not run.held.wait(REACH_SECONDS):  # only once the writer waits inside its write
            return
        try:
            value = reader.call()
            outcome.append(f"it returned {_short(value)}")
        except Exception as error:  # noqa: BLE001 - a torn read often raises (`JSONDecodeError`): that is the evidence
            outcome.append(f"it raised {describe(error)}")
        finally:
            run.read_done.set()

    _RUN[:] = [run]
    try:
        started, errors = start_threads([write, read], {})
        join(started, timeout + REACH_SECONDS + 3.0)
    finally:
        _RUN.clear()
    name = (run.path or "?").rsplit("/", 1)[-1]
    if not run.held.is_set():
        return report(reached=False, raced=False, serialised=False, errors=errors,
                      detail=f"driving `{writer.label}` never wrote a file")
    if not run.opened:
        return report(reached=False, raced=False, serialised=False, errors=errors,
                      detail=f"driving `{reader.label}` never opened `{name}`, the file `{writer.label}` writes")
    said = f" ({outcome[0]})" if outcome else ""
    if run.torn is not None:
        detail = f"the reader opened `{name}` while the writer held it half written ({run.torn}){said}"
    else:
        detail = f"the reader could not open `{name}` while the writer held it half written (the hold timed out)"
    return report(reached=True, raced=run.torn is not None, serialised=run.torn is None and run.timed_out,
                  detail=detail, arrivals=1, timeouts=int(run.timed_out), errors=errors)


def _first_write(call: Any) -> None:
    """One whole write first, outside the window: a reader finding no file reads nothing. A file in a folder
    the neutral arguments name (`Path(cache_dir) / "models.json"`) has no folder in the run's empty working
    directory: the folder is made there (only there: the run's throw-away directory) and the write retried."""
    for _ in range(2):
        try:
            call()
            return
        except FileNotFoundError as error:
            folder = os.path.dirname(os.path.abspath(os.fsdecode(error.filename or "")))
            if not error.filename or os.path.exists(folder) or not folder.startswith(os.getcwd() + os.sep):
                return
            os.makedirs(folder)
        except Exception:  # noqa: BLE001 - the driven calls report their own errors
            return


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["install_torn_read", "run_torn_read", "writer_of"]
