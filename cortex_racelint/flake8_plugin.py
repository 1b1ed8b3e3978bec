"""flake8 adapter: the same findings as `racelint check`, as `CRLnnn` error codes.

Each file is linted with its own racelint configuration (`config_resolve`: the nearest
`[tool.racelint]` or `racelint.toml`), so `select`, `ignore`, `per-file-ignores`, the opt-in
codes and the options the rules read apply as in the CLI; a file the CLI's walk would skip
(`exclude`, the default excludes, `.gitignore` with `respect-gitignore`) gets no finding,
whether flake8 found it or was handed it (as `racelint check --force-exclude`).

flake8 handles `# noqa` and its own `--select` itself, so noqa is left to flake8. The
opt-in rules (`Rule.OPT_IN`) run when the configuration enables them or when flake8's
`--select`/`--extend-select` names their full code (flake8 alone would let `--select CRL`
enable them); `# racelint: ignore[...]` comments are still honoured. Columns are 0-based in
the tuples flake8 expects (it adds one when printing, matching the CLI).

Cross-module facts (CRL404, CRL108, functions only one-shot code calls) come from the file's
project as `racelint check <project>` joins it (`project.single_file`): read from the CLI's
result cache when it is warm, else summarised once per flake8 process.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path
from typing import ClassVar, Iterator, Optional, Sequence

from . import __version__
from .config_resolve import ConfigResolver
from .engine.discovery import walk_skips
from .engine.gitignore import GitIgnores
from .project.single_file import lint_in_project
from .ftypes import Config
from .registry import opt_in_codes


class RaceLintChecker:
    name = "cortex-racelint"
    version = __version__
    #: the opt-in codes this flake8 run names in full (`parse_options`)
    opted_in: ClassVar[frozenset[str]] = frozenset()
    #: per process: each configuration file is read once, each `.gitignore` too
    _resolver: ClassVar[Optional[ConfigResolver]] = None
    _gitignores: ClassVar[Optional[GitIgnores]] = None

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Once per flake8 run, before any file: the resolver is built here, not lazily per file."""
        named = {code.strip().upper() for code in [*(options.select or []), *(options.extend_select or [])]}
        cls.opted_in = frozenset(opt_in_codes() & named)
        cls._resolver = _resolver(cls.opted_in)
        cls._gitignores = GitIgnores() if cls._resolver.for_run().respect_gitignore else None

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        # without flake8's parse_options (a direct caller), a resolver for this file alone
        resolver = self._resolver if self._resolver is not None else _resolver(self.opted_in)
        stdin = self.filename in ("-", "stdin", "<stdin>")
        config = resolver.for_run() if stdin else resolver.for_path(self.filename)
        if not stdin and walk_skips(self.filename, resolver.excludes, self._gitignores):
            return
        source = "".join(self.lines)
        result = lint_in_project(source.encode("utf-8"), self.filename, config, _relative(self.filename, config), honour_noqa=False)
        for finding in result.findings:
            yield finding.line, finding.column, f"{finding.code} {finding.message}", type(self)


def _resolver(opted_in: frozenset[str]) -> ConfigResolver:
    """Each file's configuration, plus the opt-in codes flake8's `--select` names in full."""
    named = tuple(sorted(opted_in))

    def with_named_opt_ins(config: Config) -> Config:
        return dataclasses.replace(config, extend_select=config.extend_select + named)

    return ConfigResolver(overrides=with_named_opt_ins)


def _relative(path: str, config: Config) -> str:
    """The path `per-file-ignores` patterns match: relative to the configuration's folder."""
    base = Path(config.root or Path.cwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return Path(path).as_posix()
