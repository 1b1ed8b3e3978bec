"""Frozen value types shared by the engine, the fixer and every interface.

Kept free of LibCST nodes where they cross process boundaries (results are pickled
by the parallel runner and cached on disk), so everything here is plain data.
"""

from __future__ import annotations

import enum
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


@dataclass(frozen=True)
class Config:
    """Effective configuration after pyproject and command line are merged."""

    select: tuple[str, ...] = ("CRL1", "CRL2", "CRL3", "CRL4")
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    sqlite_pool: str = "cortex.utils.db_pool:get_connection_pool"
    file_write_fix: str = "lock+atomic"
    atomic_write_module: str = "cortex.utils.fileio"
    root: Optional[Path] = None  # folder of the pyproject.toml the config came from

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
            )
        )
