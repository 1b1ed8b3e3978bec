"""`--format sarif`: SARIF 2.1.0, valid against the OASIS schema (the test suite checks it).

One rule descriptor per reported code, with a whole-sentence short description, the full
description and help (text, and the rule page as Markdown) and its page as `helpUri`.
Paths are relative to `%SRCROOT%` (the configuration's root, else the working folder),
given in `originalUriBaseIds`, so a report stays valid when checked out elsewhere. The
other sites of a race and its window are related locations; a safe fix is a SARIF fix. A
project-wide finding's shared object is the `sharedObject` property (JSON's `shared_object`,
its `madeAt` relative to the source root too) and, where it is made, a related location.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Callable, Optional, Sequence
from urllib.parse import quote

from .. import __version__
from ..ftypes import Config, FileResult, Finding, FixApplicability, ParseError, Position, Severity, SharedObject, Span
from ..engine.cache import ResultCache
from .edits import Edit, fix_edits
from .rule_info import PROJECT_URL, full_description, help_markdown, help_text, rule_name, rule_url, short_description
from .shared_object import describe, made_here

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
#: the related location where a hand-over's shared object is made (1, 2: the race window; 101...: other sites)
MADE_AT_ID = 3
#: SARIF `level` for each severity (a finding without one is an error)
SARIF_LEVELS = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}


def _level(finding: Finding) -> str:
    return SARIF_LEVELS.get(finding.severity, "error") if finding.severity is not None else "error"


class _Artifacts:
    """Artifact locations relative to the source root (absolute `file:` URIs for files outside it)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def base(self) -> dict:
        return {SRCROOT: {"uri": self.root.as_uri().rstrip("/") + "/"}}

    def location(self, path: str) -> dict:
        if path == "-":
            return {"uri": "stdin"}
        absolute = Path(path).resolve()
        try:
            relative = absolute.relative_to(self.root)
        except ValueError:
            return {"uri": absolute.as_uri()}
        return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column + 1,
        "endLine": max(span.end.line, span.start.line),
        "endColumn": span.end.column + 1,
    }


def _rule(code: str) -> dict:
    return {
        "id": code,
        "name": rule_name(code),
        "shortDescription": {"text": short_description(code)},
        "fullDescription": {"text": full_description(code)},
        "help": {"text": help_text(code), "markdown": help_markdown(code)},
        "helpUri": rule_url(code),
    }


def _physical(artifacts: _Artifacts, path: str, span: Span) -> dict:
    return {"artifactLocation": artifacts.location(path), "region": _region(span)}


def _related(artifacts: _Artifacts, f: Finding) -> list[dict]:
    related = [
        {"id": 100 + number, "message": {"text": "another site of this race"}, "physicalLocation": _physical(artifacts, f.path, span)}
        for number, span in enumerate(f.related, start=1)
    ]
    if f.window is not None:
        for number, (label, span) in enumerate((("check", f.window.check), ("act", f.window.act)), start=1):
            related.append(
                {"id": number, "message": {"text": f"race window: {label}"}, "physicalLocation": _physical(artifacts, f.path, span)}
            )
    if f.shared is not None and f.shared.path:
        related.append({"id": MADE_AT_ID, "message": {"text": made_here(f.shared)}, "physicalLocation": _made_at(artifacts, f.shared)})
    return related


def _made_at(artifacts: _Artifacts, shared: SharedObject) -> dict:
    """Where the shared instance is made: a line, or the file alone when the line is unknown."""
    location: dict = {"artifactLocation": artifacts.location(shared.path)}
    if shared.line:
        location["region"] = {"startLine": shared.line}
    return location


def _shared_object(artifacts: _Artifacts, shared: SharedObject) -> dict:
    """JSON's `shared_object` as a SARIF property (camelCase, `madeAt` relative to the source root)."""
    return {
        "how": shared.how,
        "class": shared.cls,
        "expression": shared.expression,
        "maker": shared.maker,
        "madeAt": _made_at(artifacts, shared) if shared.path else None,
        "holder": shared.holder,
        "attribute": shared.attr,
        "methods": list(shared.methods),
        "entry": shared.entry,
        "description": describe(shared),
    }


def _code_flow(artifacts: _Artifacts, f: Finding) -> dict:
    """The path from the thread entry to the access (a project-wide finding), one thread flow."""
    locations = [
        {
            "location": {
                "physicalLocation": _physical(artifacts, step.path, Span(Position(step.line, step.column), Position(step.line, step.column))),
                "message": {"text": step.message},
            },
            "nestingLevel": level,
        }
        for level, step in enumerate(f.flow)
    ]
    return {"message": {"text": "thread entry to the access"}, "threadFlows": [{"locations": locations}]}


def _fixes(artifacts: _Artifacts, f: Finding, edits: list[Edit]) -> list[dict]:
    replacements = [
        {
            "deletedRegion": {
                "startLine": e.start[0],
                "startColumn": e.start[1],
                "endLine": e.end[0],
                "endColumn": e.end[1],
            },
            "insertedContent": {"text": e.content},
        }
        for e in edits
    ]
    if not replacements:
        return []
    change = {"artifactLocation": artifacts.location(f.path), "replacements": replacements}
    return [{"description": {"text": f.fix_message or "apply the fix"}, "artifactChanges": [change]}]


def _result(artifacts: _Artifacts, f: Finding, index: int, edits: dict[tuple, list[Edit]]) -> dict:
    result: dict = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": _level(f),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": _physical(artifacts, f.path, f.span)}],
    }
    if f.baseline_state is not None:  # `check --baseline`: only findings the baseline lacks are reported
        result["baselineState"] = f.baseline_state
    properties: dict = {}
    if f.consequence is not None:
        properties.update(consequence=f.consequence.describe(), severity=f.consequence.severity.value)
    related = _related(artifacts, f)
    if related:
        result["relatedLocations"] = related
    if f.flow:
        result["codeFlows"] = [_code_flow(artifacts, f)]
    if f.window is not None:
        properties.update(gilExposure=f.window.exposure.value, holdCall=f.window.hold_call)
    if f.shared is not None:
        properties["sharedObject"] = _shared_object(artifacts, f.shared)
    if properties:
        result["properties"] = properties
    if f.fix_applicability is FixApplicability.SAFE:
        fixes = _fixes(artifacts, f, edits.get((f.path, f.code, f.line, f.column), []))
        if fixes:
            result["fixes"] = fixes
    return result


def sarif(
    findings: Sequence[Finding],
    errors: Sequence[ParseError],
    results: Sequence[FileResult] = (),
    config: Optional[Config] = None,
    config_for: Optional[Callable[[str], Config]] = None,
    cache: Optional[ResultCache] = None,
    **_: object,
) -> str:
    config = config or Config()
    artifacts = _Artifacts(Path(config.root) if config.root is not None else Path(os.getcwd()))
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    # only safe fixes become SARIF fixes: their edits are those of `--fix` without unsafe fixes
    safe_only = None if config_for is None else (lambda path: dataclasses.replace(config_for(path), unsafe_fixes=False))
    edits = fix_edits(results, dataclasses.replace(config, unsafe_fixes=False), safe_only, cache) if results else {}
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifacts.location(e.path)}}],
        }
        for e in errors
    ]
    run = {
        "tool": {
            "driver": {
                "name": "racelint",
                "version": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_rule(code) for code in codes],
            }
        },
        "originalUriBaseIds": artifacts.base(),
        "columnKind": "unicodeCodePoints",
        "results": [_result(artifacts, f, index[f.code], edits) for f in findings],
        "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notifications}],
    }
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2)
