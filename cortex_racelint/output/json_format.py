"""`--format json`: Ruff's JSON shape, so tools that read Ruff read racelint.

Ruff's fields (`cell`, `code`, `end_location`, `filename`, `fix`, `location`, `message`,
`noqa_row`, `url`, and its newer `name` and `severity`) plus racelint's own
(`consequence`, `related`, `race_window`, and for a project-wide finding `flow` and
`shared_object`). `fix.edits` are what `--fix` writes: see
`output.edits` for what a consumer must do with them.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Optional, Sequence

from ..ftypes import Config, FileResult, Finding, ParseError
from ..engine.cache import ResultCache
from .edits import Edit, enabled, fix_edits
from .rule_info import rule_name, rule_url


def _row_column(row: int, column: int) -> dict:
    return {"row": row, "column": column}


def edit_json(edit: Edit) -> dict:
    return {
        "content": edit.content,
        "location": _row_column(*edit.start),
        "end_location": _row_column(*edit.end),
    }


def _fix(finding: Finding, edits: dict[tuple, list[Edit]], config: Optional[Config]) -> object:
    if finding.fix_applicability is None:
        return None
    key = (finding.path, finding.code, finding.line, finding.column)
    found = edits.get(key, []) if enabled(finding, config or Config()) else []
    return {
        "applicability": finding.fix_applicability.value,
        "message": finding.fix_message,
        "edits": [edit_json(edit) for edit in found],
    }


def shared_object_json(f: Finding) -> dict:
    """`shared_object`: stable keys, empty strings for what the kind of sharing does not have."""
    shared = f.shared
    assert shared is not None
    return {
        "how": shared.how,
        "class": shared.cls,
        "expression": shared.expression,
        "maker": shared.maker,
        "made_at": {"filename": _filename(shared.path), "row": shared.line or None} if shared.path else None,
        "holder": shared.holder,
        "attribute": shared.attr,
        "methods": list(shared.methods),
        "entry": shared.entry,
    }


def _filename(path: str) -> str:
    return os.path.abspath(path) if path != "-" else path


def as_json(
    findings: Sequence[Finding],
    errors: Sequence[ParseError],
    results: Sequence[FileResult] = (),
    config: Optional[Config] = None,
    config_for: Optional[Callable[[str], Config]] = None,
    cache: Optional[ResultCache] = None,
    **_: object,
) -> str:
    edits = fix_edits(results, config, config_for, cache) if results else {}
    items: list[dict] = []
    for f in findings:
        item = {
            "cell": None,
            "code": f.code,
            "name": rule_name(f.code),
            "message": f.message,
            "filename": _filename(f.path),
            "location": _row_column(f.line, f.column + 1),
            "end_location": _row_column(f.span.end.line, f.span.end.column + 1),
            "fix": _fix(f, edits, config_for(f.path) if config_for is not None else config),
            "noqa_row": f.line,
            "url": rule_url(f.code),
            "severity": f.severity.value if f.severity is not None else None,
            "consequence": {"kind": f.consequence.kind, "detail": f.consequence.detail} if f.consequence else None,
            "related": [_row_column(s.start.line, s.start.column + 1) for s in f.related],
        }
        if f.flow:  # a project-wide finding: thread entry -> calls -> the access, across files
            item["flow"] = [
                {"filename": _filename(step.path), "location": _row_column(step.line, step.column + 1), "message": step.message}
                for step in f.flow
            ]
        if f.shared is not None:  # a project-wide finding: the object its threads share, as data
            item["shared_object"] = shared_object_json(f)
        if f.window is not None:
            item["race_window"] = {
                "check": _row_column(f.window.check.start.line, f.window.check.start.column + 1),
                "act": _row_column(f.window.act.start.line, f.window.act.start.column + 1),
                "hold_call": f.window.hold_call,
                "exposure": f.window.exposure.value,
            }
        items.append(item)
    for e in errors:
        items.append(
            {
                "cell": None,
                "code": None,
                "name": None,
                "message": e.message,
                "filename": _filename(e.path),
                "location": _row_column(e.line, e.column + 1),
                "end_location": _row_column(e.line, e.column + 1),
                "fix": None,
                "noqa_row": None,
                "url": None,
                "severity": None,
            }
        )
    return json.dumps(items, indent=2)
