"""Render findings in the formats people, CI systems and editors read.

One module per family: `text` (concise, full), `json_format` (Ruff's JSON), `sarif`
(SARIF 2.1.0), `ci` (GitHub workflow commands, JUnit XML) and `statistics`. The machine
formats share `rule_info` (names, URLs, descriptions) and `edits` (the text edits of a
fix, as `--fix` writes them).
"""

from __future__ import annotations

from .ci import github, junit
from .json_format import as_json
from .sarif import sarif
from .statistics import statistics
from .text import concise, full

FORMATS = ("concise", "full", "json", "sarif", "github", "junit")

RENDERERS = {"concise": concise, "full": full, "json": as_json, "sarif": sarif, "github": github, "junit": junit}

__all__ = ["FORMATS", "RENDERERS", "as_json", "concise", "full", "github", "junit", "sarif", "statistics"]
