"""The formats people read: `concise` (one line a finding, as Ruff's) and `full` (with the source)."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from ..ftypes import Config, Finding, FixApplicability, ParseError
from .shared_object import describe


def _fix_note(finding: Finding, unsafe_fixes: bool = False) -> str:
    """`[*]` where `--fix` would fix it (as Ruff: unsafe fixes too once `--unsafe-fixes` is on)."""
    if finding.fix_applicability is FixApplicability.SAFE:
        return " [*]"
    if finding.fix_applicability is FixApplicability.UNSAFE:
        return " [*]" if unsafe_fixes else " [unsafe fix]"
    return ""


def error_line(error: ParseError) -> str:
    """`path:line:col: error: ...`, or `path: error: ...` when the error has no position (unreadable file)."""
    if not error.line:
        return f"{error.path}: error: {error.message}"
    return f"{error.path}:{error.line}:{error.column + 1}: error: {error.message}"


def concise(
    findings: Sequence[Finding],
    errors: Sequence[ParseError],
    config: Optional[Config] = None,
    config_for: Optional[Callable[[str], Config]] = None,
    **_: object,
) -> str:
    lines = [error_line(e) for e in errors]
    for f in findings:
        own = config_for(f.path) if config_for is not None else config  # each file's own `unsafe-fixes`
        unsafe = bool(own is not None and own.unsafe_fixes)
        lines.append(f"{f.path}:{f.line}:{f.column + 1}: {f.code}{_fix_note(f, unsafe)} {f.message}")
    return "\n".join(lines)


def full(findings: Sequence[Finding], errors: Sequence[ParseError], sources: dict[str, list[str]], **_: object) -> str:
    blocks = [error_line(e) for e in errors]
    for f in findings:
        block = [f"{f.path}:{f.line}:{f.column + 1}: {f.code} {f.message}"]
        lines = sources.get(f.path, [])
        if 0 < f.line <= len(lines):
            text = lines[f.line - 1].rstrip("\r\n")
            block.append(f"  {f.line:>4} | {text}")
            block.append("       | " + " " * f.column + "^")
        if f.related:
            block.append("  = also at: " + ", ".join(f"{s.start.line}:{s.start.column + 1}" for s in f.related))
        for number, step in enumerate(f.flow, start=1):
            block.append(f"  = path {number}: {step.path}:{step.line}:{step.column + 1}: {step.message}")
        if f.shared is not None:
            block.append(f"  = shared object: {describe(f.shared, with_entry=not f.flow)}")
            if f.shared.path:
                block.append(f"  = made at: {f.shared.path}:{f.shared.line}" if f.shared.line else f"  = made in: {f.shared.path}")
        if f.consequence is not None:
            block.append(f"  = consequence ({f.consequence.severity.value}): {f.consequence.describe()}")
        if f.fix_message:
            kind = "unsafe fix" if f.fix_applicability is FixApplicability.UNSAFE else "fix"
            block.append(f"  = help ({kind}): {f.fix_message}")
        elif f.no_fix_reason:
            block.append(f"  = note: no automatic fix: {f.no_fix_reason}")
        if f.window is not None:
            hold = f"`{f.window.hold_call}`" if f.window.hold_call else "no call (free-threaded builds only)"
            block.append(
                f"  = race window: lines {f.window.check.start.line}-{f.window.act.end.line}, "
                f"holdable at {hold}, exposure: {f.window.exposure.value}"
            )
        blocks.append("\n".join(block))
    return "\n\n".join(blocks)
