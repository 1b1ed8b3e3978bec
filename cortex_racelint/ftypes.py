"""Frozen value types shared by the engine, the fixer and every interface.

Kept free of LibCST nodes where they cross process boundaries (results are pickled
by the parallel runner and cached on disk), so everything here is plain data.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


class FixApplicability(str, enum.Enum):
    """How much a fix may change behaviour (Ruff's model)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class GilExposure(str, enum.Enum):
    """Whether a race shows on a GIL build or only on a free-threaded one."""

    GIL = "gil"  # the race window holds a call: a thread switch can split it on any build
    FREE_THREADED_ONLY = "free-threaded-only"  # no call in the window: splits only without the GIL


class Severity(str, enum.Enum):
    """How badly a finding's race hurts when it fires (SARIF: error, warning, note)."""

    HIGH = "high"  # a duplicate resource with identity, a repeated side effect, lost data
    MEDIUM = "medium"  # a lost update or stale state that a caller may observe
    LOW = "low"  # an equal value recomputed, a message emitted twice


@dataclass(frozen=True)
class Consequence:
    """What goes wrong when the race fires: a kind from a fixed vocabulary, and why this site."""

    kind: str  # e.g. "duplicate resource", "repeated side effect", "lost update", "torn file"
    severity: Severity
    detail: str = ""

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind

    def in_message(self, message: str) -> str:
        """The one-line message with the consequence kind appended, so every output format
        (concise, flake8, GitHub annotations) says what goes wrong, in the vocabulary's own
        words: derived here, it cannot drift from the JSON/SARIF `consequence`."""
        return f"{message} ({self.kind})"


@dataclass(frozen=True, order=True)
class Position:
    """1-based line, 0-based column (LibCST's convention)."""

    line: int
    column: int


@dataclass(frozen=True)
class Span:
    start: Position
    end: Position


@dataclass(frozen=True)
class RaceWindow:
    """Where a race can be split: the check, the act, and a call a hook can hold."""

    check: Span
    act: Span
    hold_call: Optional[str]  # dotted source text of the call inside the window, if any
    exposure: GilExposure


@dataclass(frozen=True)
class WithheldFix:
    """A fix racelint would make but does not: it needs a helper module the project lacks.

    Kept on the finding so that `--fix` can tell a fix it was asked for and could not
    write (exit 2) from one that was never requested (an unsafe fix without `--unsafe-fixes`).
    """

    module: str  # the helper module the fix would import
    applicability: FixApplicability  # of the fix it would have been


@dataclass(frozen=True)
class FlowStep:
    """One step of the path from a thread entry to the access, possibly in another file."""

    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class SharedObject:
    """The object a project-wide finding's threads share (CRL404, CRL108), as data: what `confirm` builds
    its reproducer from and what JSON carries as `shared_object` (no reader parses the message for it).

    `how` is "accessor" (`expression` is `pkg.mod.get_x()`), "global" (`pkg.mod._x`), "handover" (one
    instance made by the function `maker` at `path:line` and handed to threads) or "held" (the instance
    a class that starts threads keeps in `self.<holder>`: `maker` is `pkg.mod.Class`) or "container" (an
    entry of the module-level container `expression`, `pkg.mod._STATS`, indexed with a constant key).
    """

    how: str
    cls: str  # `pkg.mod.Class`, the shared object's class
    expression: str = ""  # accessor or global, importable: how to get the object (accessor/global)
    maker: str = ""  # `pkg.mod.function` making it (handover), `pkg.mod.Class` keeping it (held)
    path: str = ""  # where it is made
    line: int = 0
    holder: str = ""  # held: the attribute of `maker` holding it
    attr: str = ""  # the finding's attribute
    methods: tuple[str, ...] = ()  # the methods thread entries run on the object that update `attr`
    entry: str = ""  # the thread entry of the finding's flow (its first step)


@dataclass(frozen=True)
class Finding:
    """One reported problem. `fix_applicability` is None when no fix is offered."""

    code: str
    message: str
    path: str
    span: Span
    fix_applicability: Optional[FixApplicability] = None
    fix_message: Optional[str] = None
    no_fix_reason: Optional[str] = None
    window: Optional[RaceWindow] = None
    withheld_fix: Optional[WithheldFix] = None
    consequence: Optional[Consequence] = None
    #: the other sites of the same race (one finding per race, not per site): each is fixed with it
    related: tuple[Span, ...] = ()
    #: for a project-wide finding: thread entry -> calls (across files) -> the access (SARIF `codeFlows`)
    flow: tuple[FlowStep, ...] = ()
    #: set when a baseline was given: "new" (not in it); SARIF's `baselineState`
    baseline_state: Optional[str] = None
    #: for a project-wide finding: the object its threads share (`SharedObject`), as data
    shared: Optional[SharedObject] = None

    @property
    def severity(self) -> Optional[Severity]:
        return self.consequence.severity if self.consequence is not None else None

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def column(self) -> int:
        return self.span.start.column

    def sort_key(self) -> tuple:
        return (self.path, self.span.start.line, self.span.start.column, self.code)


@dataclass(frozen=True)
class ParseError:
    """A file we could not read or parse: reported, skipped, never rewritten."""

    path: str
    message: str
    line: int = 0
    column: int = 0


@dataclass
class FileResult:
    """Everything the engine learnt about one file."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: Optional[ParseError] = None
    fixed_count: int = 0
    new_source: Optional[bytes] = None  # set when fixing changed the file
    old_source: Optional[bytes] = None
    fix_error: Optional[str] = None  # the fix was reverted; why
    hidden_unsafe: int = 0  # unsafe fixes available but not enabled
    #: (first, last) lines of statements too deeply nested for LibCST: not analysed (`engine.deep_statements`)
    skipped: list[tuple[int, int]] = field(default_factory=list)
    #: the module's summary for the project index (`project.summary`), None when not built
    summary: Optional[dict] = None


#: where a fix looks for the helpers it imports unless `[tool.racelint]` says otherwise;
#: used only by a project that has these modules (Cortex): no fix imports a module the project lacks
DEFAULT_SQLITE_POOL = "cortex.utils.db_pool:get_connection_pool"
DEFAULT_ATOMIC_WRITE_MODULE = "cortex.utils.fileio"


@dataclass(frozen=True)
class ThreadEntrySpec:
    """One kind of code a framework runs on its own threads (`analysis.framework_entries`).

    Recognised either by a base class (`bases`: a subclass's `methods` are the entries) or by
    a call handing it a callable (`call`, with the callable at `arg` or `keyword`).
    """

    label: str  # how a message names the entry: "request handler `do_GET()`"
    bases: tuple[str, ...] = ()  # qualified base classes
    methods: tuple[str, ...] = ()  # method names; `do_*` is a prefix, `*` every public method
    call: str = ""  # qualified callable, or `.name` for a method of any receiver
    arg: int = 0  # position of the callable among the call's arguments
    keyword: str = ""  # the callable's keyword, where it may be passed by name
    concurrent: bool = True  # several calls run at once (with each other and with themselves)
    per_call: bool = False  # a new object per call (request handlers): its own attributes are not shared
    holds: str = ""  # a lock the framework holds around the call (`self.lock` around `Handler.emit`)
    interrupts: bool = False  # runs on the main thread by interrupting it (signal, atexit)
    threaded_by: tuple[str, ...] = ()  # the module must name one of these for the entry to run on threads
    unthreaded_by: tuple[str, str] = ("", "")  # (call, keyword): `FUSE(ops, nothreads=True)` runs one thread
    receiver_from: str = ""  # the receiver must be bound from a call of this method (`.submit` futures)
    kind: str = "framework"  # "thread", "timer", "executor" (a thread start), or "framework"
    notes: str = ""  # what runs on the new thread and what the entry promises (the documented table)


@dataclass(frozen=True)
class Config:
    """Effective configuration after pyproject and command line are merged."""

    select: tuple[str, ...] = ("CRL1", "CRL2", "CRL3", "CRL4", "CRL5")
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    sqlite_pool: str = DEFAULT_SQLITE_POOL
    #: "lock" | "atomic" | "lock+atomic"; None (not configured): see `write_fix_style`
    file_write_fix: Optional[str] = None
    atomic_write_module: str = DEFAULT_ATOMIC_WRITE_MODULE
    root: Optional[Path] = None  # folder of the configuration file the config came from
    #: skip what `.gitignore` files ignore while walking folders (run-wide: read from the cwd's config)
    respect_gitignore: bool = True
    #: the helper modules (`sqlite_pool`'s module, `atomic_write_module`) the project has, resolved
    #: with the configuration (`project_helpers.resolve_helpers`): a fix imports no other
    present_helpers: tuple[str, ...] = ()
    #: thread entries the project adds to the built-in table (`[tool.racelint] thread-entries`)
    thread_entries: tuple[ThreadEntrySpec, ...] = ()
    #: packages whose code (and code importing which) runs on one event-loop thread, besides
    #: Twisted (`[tool.racelint] event-loop-packages`, `project/event_loop.py`)
    event_loop_packages: tuple[str, ...] = ()
    #: phase 2 of a project run: this file's project facts (`project.join`) as sorted JSON, else None
    project_facts: Optional[str] = None

    def write_fix_style(self) -> str:
        """The file-write fix form: as configured, else "lock+atomic" where the project has the
        atomic-write helpers and "lock" (standard library only) where it does not."""
        if self.file_write_fix is not None:
            return self.file_write_fix
        return "lock+atomic" if self.atomic_write_module in self.present_helpers else "lock"

    def helper_modules(self) -> tuple[str, str]:
        """The modules a fix may import helpers from: the pool's and the atomic-write helpers'."""
        return (self.sqlite_pool.partition(":")[0], self.atomic_write_module)

    def cache_key(self) -> str:
        """Everything that changes findings, as a stable string."""
        return repr(
            (
                self.select,
                self.ignore,
                self.extend_select,
                self.per_file_ignores,
                self.unsafe_fixes,
                self.sqlite_pool,
                self.file_write_fix,
                self.atomic_write_module,
                self.present_helpers,
                self.thread_entries,
                self.event_loop_packages,
                str(self.root),  # per-file-ignores match paths relative to it
            )
        ) + self.facts_key()

    def facts_key(self) -> str:
        """A digest of the project facts (empty without): a phase-2 result is keyed on them too."""
        if self.project_facts is None:
            return ""
        return "|facts:" + hashlib.sha256(self.project_facts.encode()).hexdigest()
