"""flake8 adapter: the same findings as `racelint check`, as `CRLnnn` error codes.

flake8 handles `# noqa` and `--select` itself, so every rule runs here and noqa is left
to flake8; `# racelint: ignore[...]` comments are still honoured. Columns are 0-based
in the tuples flake8 expects (it adds one when printing, matching the CLI).
"""

from __future__ import annotations

import ast
from typing import Iterator, Sequence

from . import __version__
from .engine.lint import lint_source
from .ftypes import Config
from .registry import all_rules


class RaceLintChecker:
    name = "cortex-racelint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        every_rule = Config(select=tuple(rule.CODE for rule in all_rules()))
        result = lint_source(source.encode("utf-8"), self.filename, every_rule, honour_noqa=False)
        for finding in result.findings:
            yield finding.line, finding.column, f"{finding.code} {finding.message}", type(self)
