"""Phase 2 of a project run: join the phase-1 summaries, re-lint only the files with facts.

Phase 1 left each file's summary on its result (fresh or from the cache). The join costs no
parsing; phase 2 runs the project rules on the few files whose facts are non-empty, each
cached under its content, configuration and a digest of its facts: an edit elsewhere that
leaves a file's facts unchanged costs it nothing.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..engine.cache import ResultCache
from ..engine.lint import lint_source
from ..engine.sourcefile import read_bytes
from ..ftypes import Config, FileResult, Finding
from .event_loop import drop_event_loop_findings
from .import_time import drop_import_time_findings, import_time_functions
from .join import join
from .one_shot_callers import drop_one_shot_findings
from .standalone import with_facts
from .thread_reach import CODES as UNREACHED_CODES, drop_unreached_findings, unreached_code
from .summary import build_summary


@dataclass
class ProjectStats:
    """What a run did, for tests and benchmarks: phase-1 lints, files with facts, phase-2 lints."""

    linted: int = 0  # phase-1 lints run (cache misses)
    with_facts: int = 0  # files the join gave facts
    relinted: int = 0  # phase-2 lints run (cache misses)
    facts: dict = dataclasses.field(default_factory=dict)


def summaries(results: Sequence[FileResult]) -> dict[str, dict]:
    return {result.path: result.summary for result in results if result.summary}


def parse_summaries(paths: Sequence[str], config: Optional[Config] = None) -> dict[str, dict]:
    """Summaries straight from the files (`--fix` runs: fixing is never cached, no phase 1 to reuse)."""
    found = {}
    for path in paths:
        try:
            found[path] = build_summary(ast.parse(read_bytes(path)), config.thread_entries if config is not None else ())
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return found


def run_phase_two(
    results: Sequence[FileResult],
    config: Config,
    cache: Optional[ResultCache],
    relative: Callable[[str], str],
    stats: Optional[ProjectStats] = None,
) -> None:
    """Add the project rules' findings to `results` (in place), for the files the join gives facts."""
    facts = join(summaries(results))
    drop_one_shot_findings(results, read_bytes)
    drop_event_loop_findings(results, config.event_loop_packages)
    wanted = {r.path for r in results if any(f.code in UNREACHED_CODES for f in r.findings)}
    if wanted:
        drop_unreached_findings(results, *unreached_code(summaries(results), read_bytes, wanted))
    drop_import_time_findings(results, import_time_functions(summaries(results)))
    for result in results:
        result.summary = None  # joined (and cached by phase 1): not kept for the report
    if stats is not None:
        stats.with_facts = len(facts)
        stats.facts = facts
    for result in results:
        own = facts.get(result.path)
        if not own or result.error is not None:
            continue
        file_config = with_facts(config, own)
        try:
            raw = read_bytes(result.path)
        except OSError:
            continue
        found = cache.get(result.path, raw, file_config) if cache is not None else None
        if found is None:
            found = lint_source(raw, result.path, file_config, relative(result.path), project_only=True)
            if stats is not None:
                stats.relinted += 1
            if cache is not None:
                cache.put_many([(result.path, raw, file_config, found)])
        _merge(result, found)


def _merge(result: FileResult, extra: FileResult) -> None:
    result.findings = sorted([*result.findings, *extra.findings], key=Finding.sort_key)
    result.hidden_unsafe += extra.hidden_unsafe
    if result.error is None and extra.error is not None:
        result.error = extra.error
