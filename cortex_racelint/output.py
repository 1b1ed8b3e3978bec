"""Render findings in the formats CI systems and editors read.

`json` has the shape of Ruff's JSON output so tools that read Ruff read us; `sarif`
is SARIF 2.1.0 with one rule descriptor per code and the race window as related
locations; `github` emits workflow commands that annotate pull requests.
"""

from __future__ import annotations

import json
import os
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

from . import __version__
from .ftypes import FileResult, Finding, FixApplicability, ParseError, Severity
from .registry import META_CODES, rule_by_code

FORMATS = ("concise", "full", "json", "sarif", "github", "junit")


#: SARIF `level` and GitHub annotation command for each severity (a finding without one is an error)
SARIF_LEVELS = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
GITHUB_COMMANDS = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def _sarif_level(finding: Finding) -> str:
    return SARIF_LEVELS.get(finding.severity, "error") if finding.severity is not None else "error"


def _fix_note(finding: Finding) -> str:
    if finding.fix_applicability is FixApplicability.SAFE:
        return " [*]"
    if finding.fix_applicability is FixApplicability.UNSAFE:
        return " [unsafe fix]"
    return ""


def concise(findings: Sequence[Finding], errors: Sequence[ParseError], **_: object) -> str:
    lines = [f"{e.path}:{e.line}:{e.column + 1 if e.line else 0}: error: {e.message}" for e in errors]
    for f in findings:
        lines.append(f"{f.path}:{f.line}:{f.column + 1}: {f.code}{_fix_note(f)} {f.message}")
    return "\n".join(lines)


def full(findings: Sequence[Finding], errors: Sequence[ParseError], sources: dict[str, list[str]], **_: object) -> str:
    blocks = [f"{e.path}:{e.line}:{e.column + 1 if e.line else 0}: error: {e.message}" for e in errors]
    for f in findings:
        block = [f"{f.path}:{f.line}:{f.column + 1}: {f.code} {f.message}"]
        lines = sources.get(f.path, [])
        if 0 < f.line <= len(lines):
            text = lines[f.line - 1].rstrip("\r\n")
            block.append(f"  {f.line:>4} | {text}")
            block.append("       | " + " " * f.column + "^")
        if f.related:
            block.append("  = also at: " + ", ".join(f"{s.start.line}:{s.start.column + 1}" for s in f.related))
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


def _json_fix(f: Finding) -> object:
    if f.fix_applicability is None:
        return None
    return {"applicability": f.fix_applicability.value, "message": f.fix_message, "edits": []}


def as_json(findings: Sequence[Finding], errors: Sequence[ParseError], **_: object) -> str:
    items = []
    for f in findings:
        item = {
            "code": f.code,
            "message": f.message,
            "filename": os.path.abspath(f.path) if f.path != "-" else f.path,
            "location": {"row": f.line, "column": f.column + 1},
            "end_location": {"row": f.span.end.line, "column": f.span.end.column + 1},
            "fix": _json_fix(f),
            "noqa_row": f.line,
            "url": None,
            "severity": f.severity.value if f.severity is not None else None,
            "consequence": {"kind": f.consequence.kind, "detail": f.consequence.detail} if f.consequence else None,
            "related": [{"row": s.start.line, "column": s.start.column + 1} for s in f.related],
        }
        if f.window is not None:
            item["race_window"] = {
                "check": {"row": f.window.check.start.line, "column": f.window.check.start.column + 1},
                "act": {"row": f.window.act.start.line, "column": f.window.act.start.column + 1},
                "hold_call": f.window.hold_call,
                "exposure": f.window.exposure.value,
            }
        items.append(item)
    for e in errors:
        items.append(
            {
                "code": None,
                "message": e.message,
                "filename": os.path.abspath(e.path),
                "location": {"row": e.line, "column": e.column + 1},
                "end_location": {"row": e.line, "column": e.column + 1},
                "fix": None,
                "noqa_row": None,
                "url": None,
            }
        )
    return json.dumps(items, indent=2)


def _region(span_start_line: int, span_start_col: int, end_line: int, end_col: int) -> dict:
    return {
        "startLine": span_start_line,
        "startColumn": span_start_col + 1,
        "endLine": end_line,
        "endColumn": end_col + 1,
    }


def sarif(findings: Sequence[Finding], errors: Sequence[ParseError], **_: object) -> str:
    codes = sorted({f.code for f in findings})
    rules = []
    for code in codes:
        rule = rule_by_code(code)
        name = rule.NAME if rule else META_CODES.get(code, code)
        summary = rule.summary() if rule else name
        rules.append({"id": code, "name": name, "shortDescription": {"text": summary}, "helpUri": None})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for f in findings:
        location = {
            "physicalLocation": {
                "artifactLocation": {"uri": f.path.replace(os.sep, "/")},
                "region": _region(f.line, f.column, f.span.end.line, f.span.end.column),
            }
        }
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _sarif_level(f),
            "message": {"text": f.message},
            "locations": [location],
        }
        if f.consequence is not None:
            result["properties"] = {"consequence": f.consequence.describe(), "severity": f.consequence.severity.value}
        sites = [
            {
                "id": 100 + number,
                "message": {"text": "another site of this race"},
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path.replace(os.sep, "/")},
                    "region": _region(span.start.line, span.start.column, span.end.line, span.end.column),
                },
            }
            for number, span in enumerate(f.related, start=1)
        ]
        if sites:
            result["relatedLocations"] = sites
        if f.window is not None:
            related = list(sites)
            for number, (label, span) in enumerate((("check", f.window.check), ("act", f.window.act)), start=1):
                related.append(
                    {
                        "id": number,
                        "message": {"text": f"race window: {label}"},
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path.replace(os.sep, "/")},
                            "region": _region(span.start.line, span.start.column, span.end.line, span.end.column),
                        },
                    }
                )
            result["relatedLocations"] = related
            result.setdefault("properties", {}).update({"gilExposure": f.window.exposure.value, "holdCall": f.window.hold_call})
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.path}}}],
        }
        for e in errors
    ]
    run = {
        "tool": {"driver": {"name": "racelint", "version": __version__, "informationUri": None, "rules": rules}},
        "results": results,
        "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notifications}],
    }
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(document, indent=2)


def github(findings: Sequence[Finding], errors: Sequence[ParseError], **_: object) -> str:
    def clean(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    lines = [f"::error file={e.path},line={e.line or 1},col={e.column + 1},title=racelint::{clean(e.message)}" for e in errors]
    for f in findings:
        command = GITHUB_COMMANDS.get(f.severity, "error") if f.severity is not None else "error"
        lines.append(
            f"::{command} title=racelint ({f.code}),file={f.path},line={f.line},col={f.column + 1},"
            f"endLine={f.span.end.line},endColumn={f.span.end.column + 1}::{clean(f'{f.code} {f.message}')}"
        )
    return "\n".join(lines)


def junit(findings: Sequence[Finding], errors: Sequence[ParseError], results: Sequence[FileResult] = (), **_: object) -> str:
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    cases = []
    for path in sorted({r.path for r in results} | set(by_path)):
        failures = by_path.get(path, [])
        inner = "".join(
            f"<failure message={quoteattr(f'{f.code} {f.message}')}>{escape(f'line {f.line}, col {f.column + 1}')}</failure>"
            for f in failures
        )
        cases.append(f"<testcase name={quoteattr(path)} classname=\"racelint\">{inner}</testcase>")
    for e in errors:
        cases.append(f"<testcase name={quoteattr(e.path)} classname=\"racelint\"><error message={quoteattr(e.message)}/></testcase>")
    body = "".join(cases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites><testsuite name="racelint" tests="{len(cases)}" failures="{len(findings)}" '
        f'errors="{len(errors)}">{body}</testsuite></testsuites>'
    )


RENDERERS = {"concise": concise, "full": full, "json": as_json, "sarif": sarif, "github": github, "junit": junit}


def statistics(findings: Sequence[Finding]) -> str:
    counts: dict[str, int] = {}
    fixable: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        if f.fix_applicability in (FixApplicability.SAFE, FixApplicability.UNSAFE):
            fixable[f.code] = fixable.get(f.code, 0) + 1
    rows = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = rule_by_code(code)
        name = rule.NAME if rule else META_CODES.get(code, "")
        star = "[*]" if fixable.get(code) else "   "
        rows.append(f"{count:>5}\t{code}\t{star} {name}")
    return "\n".join(rows)
