"""`--statistics`: findings counted per rule, as text or (with `--format json`) as Ruff's JSON."""

from __future__ import annotations

import json
from typing import Optional, Sequence

from ..ftypes import Config, Finding
from .edits import enabled
from .rule_info import rule_name


def _rows(findings: Sequence[Finding], config: Config) -> list[dict]:
    counts: dict[str, int] = {}
    fixable: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        if enabled(f, config):  # as Ruff: unsafe fixes count only with `--unsafe-fixes`
            fixable[f.code] = fixable.get(f.code, 0) + 1
    return [
        {"code": code, "name": rule_name(code), "count": count, "fixable": bool(fixable.get(code))}
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def statistics(findings: Sequence[Finding], config: Optional[Config] = None, output_format: str = "concise") -> str:
    """`[*]` marks a rule with a fix `--fix` would apply (a safe one, or unsafe with `--unsafe-fixes`)."""
    rows = _rows(findings, config or Config())
    if output_format == "json":
        return json.dumps(rows, indent=2)
    return "\n".join(f"{row['count']:>5}\t{row['code']}\t{'[*]' if row['fixable'] else '   '} {row['name']}" for row in rows)
