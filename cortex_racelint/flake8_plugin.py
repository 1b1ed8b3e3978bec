"""flake8 adapter: the same findings as `racelint check`, as `CRLnnn` error codes.

flake8 handles `# noqa` and `--select` itself, so every rule runs here and noqa is left
to flake8, except the opt-in rules (`Rule.OPT_IN`): as in the CLI, they run only when
`--select`/`--extend-select` names their full code (flake8 alone would let `--select CRL`
enable them); `# racelint: ignore[...]` comments are still honoured. Columns are 0-based
in the tuples flake8 expects (it adds one when printing, matching the CLI).
"""

from __future__ import annotations

import ast
import argparse
from typing import ClassVar, Iterator, Sequence

from . import __version__
from .engine.lint import lint_source
from .ftypes import Config
from .registry import all_rules, opt_in_codes


class RaceLintChecker:
    name = "cortex-racelint"
    version = __version__
    #: the opt-in codes this flake8 run names in full (`parse_options`)
    opted_in: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        named = {code.strip().upper() for code in [*(options.select or []), *(options.extend_select or [])]}
        cls.opted_in = frozenset(opt_in_codes() & named)

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        codes = opt_in_codes()
        every_rule = Config(select=tuple(r.CODE for r in all_rules() if r.CODE not in codes or r.CODE in self.opted_in))
        result = lint_source(source.encode("utf-8"), self.filename, every_rule, honour_noqa=False)
        for finding in result.findings:
            yield finding.line, finding.column, f"{finding.code} {finding.message}", type(self)
