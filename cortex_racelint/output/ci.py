"""Formats CI systems read: GitHub workflow commands and JUnit XML (both shaped as Ruff's)."""

from __future__ import annotations

import os
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

from ..ftypes import FileResult, Finding, ParseError, Severity

#: GitHub annotation command for each severity (a finding without one is an error)
GITHUB_COMMANDS = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}
JUNIT_PACKAGE = "org.racelint"


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (the runner unescapes them)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and `:` and `,` too (they end a property)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding], errors: Sequence[ParseError], **_: object) -> str:
    lines = [
        f"::error title=racelint,file={escape_property(e.path)},line={e.line or 1},col={e.column + 1}::{escape_data(e.message)}"
        for e in errors
    ]
    for f in findings:
        command = GITHUB_COMMANDS.get(f.severity, "error") if f.severity is not None else "error"
        lines.append(
            f"::{command} title={escape_property(f'racelint ({f.code})')},file={escape_property(f.path)},"
            f"line={f.line},col={f.column + 1},endLine={f.span.end.line},endColumn={f.span.end.column + 1}"
            f"::{escape_data(f'{f.code} {f.message}')}"
        )
    return "\n".join(lines)


def _failure(f: Finding) -> str:
    where = f"line {f.line}, col {f.column + 1}, {f.message}"
    return (
        f"<testcase name={quoteattr(f'{JUNIT_PACKAGE}.{f.code}')} classname={quoteattr(os.path.splitext(f.path)[0])} "
        f'line="{f.line}" column="{f.column + 1}">'
        f"<failure message={quoteattr(f.message)}>{escape(where)}</failure></testcase>"
    )


def _error(e: ParseError) -> str:
    return (
        f"<testcase name={quoteattr(f'{JUNIT_PACKAGE}.error')} classname={quoteattr(os.path.splitext(e.path)[0])} "
        f'line="{e.line}" column="{e.column + 1}"><error message={quoteattr(e.message)}/></testcase>'
    )


def junit(
    findings: Sequence[Finding], errors: Sequence[ParseError], results: Sequence[FileResult] = (), **_: object
) -> str:
    """One test suite per file, one failing test case per finding (Ruff's layout); a file
    without findings or errors is one passing test case, so `tests` counts what was checked."""
    by_path: dict[str, tuple[list[Finding], list[ParseError]]] = {r.path: ([], []) for r in results}
    for f in findings:
        by_path.setdefault(f.path, ([], []))[0].append(f)
    for e in errors:
        by_path.setdefault(e.path, ([], []))[1].append(e)
    suites = []
    total = 0
    for path, (failing, broken) in sorted(by_path.items()):
        cases = [_failure(f) for f in failing] + [_error(e) for e in broken]
        if not cases:
            cases = [f"<testcase name={quoteattr(f'{JUNIT_PACKAGE}.no-findings')} classname={quoteattr(os.path.splitext(path)[0])}/>"]
        total += len(cases)
        suites.append(
            f'<testsuite name={quoteattr(path)} tests="{len(cases)}" disabled="0" errors="{len(broken)}" '
            f'failures="{len(failing)}" package="{JUNIT_PACKAGE}">{"".join(cases)}</testsuite>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="racelint" tests="{total}" failures="{len(findings)}" errors="{len(errors)}">'
        f'{"".join(suites)}</testsuites>'
    )
