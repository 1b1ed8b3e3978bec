"""Phase 2 of a project run: join the phase-1 summaries, re-lint only the files with facts.

Phase 1 left each file's summary on its result (fresh or from the cache). The join costs no
parsing; phase 2 runs the project rules on the few files whose facts are non-empty, each
cached under its content, configuration and a digest of its facts: an edit elsewhere that
leaves a file's facts unchanged costs it nothing.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..engine.cache import ResultCache
from ..engine.lint import lint_source
from ..engine.sourcefile import read_bytes
from ..ftypes import Config, FileResult, Finding
from . import filters
from .join import join
from .standalone import with_facts
from .summary import build_summary


@dataclass
class ProjectStats:
    """What a run did, for tests and benchmarks: phase-1 lints, files with facts, phase-2 lints."""

    linted: int = 0  # phase-1 lints run (cache misses)
    with_facts: int = 0  # files the join gave facts
    relinted: int = 0  # phase-2 lints run (cache misses)
    filtered: int = 0  # project filters' answers computed (not read from the cache)
    facts: dict = dataclasses.field(default_factory=dict)


def summaries(results: Sequence[FileResult]) -> dict[str, dict]:
    return {result.path: result.summary for result in results if result.summary}


def parse_summaries(paths: Sequence[str], config: Optional[Config] = None) -> dict[str, dict]:
    """Summaries straight from the files (fix runs: no phase 1 to reuse)."""
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
    """Add the project rules' findings to `results` (in place), for the files the join gives facts;
    a file with a filter answer that changes what its own rules report (`filters.relint_facts`:
    CRL304's thread entry) is linted again by every rule, as flake8 lints it."""
    facts = join(summaries(results))
    known = drop_filtered(results, config, cache, stats)
    relint = filters.relint_facts(known)  # answers that change what a file's own rules report
    # the summaries stay on the results: a report's fix edits (`output/edits.py`) join them again
    if stats is not None:
        stats.with_facts = len(facts)
        stats.facts = facts
    for result in results:
        own, again = facts.get(result.path), relint.get(result.path)
        if not (own or again) or result.error is not None:
            continue
        file_config = with_facts(config, {**(own or {}), **(again or {})})
        try:
            raw = read_bytes(result.path)
        except OSError:
            continue
        found = cache.get(result.path, raw, file_config) if cache is not None else None
        if found is None:
            found = lint_source(raw, result.path, file_config, relative(result.path), project_only=not again)
            if stats is not None:
                stats.relinted += 1
            if cache is not None:
                cache.put_many([(result.path, raw, file_config, found)])
        if again and found.error is None:  # every rule ran with the facts, as flake8 lints it: they replace phase 1's
            result.findings = filters.apply(found.findings, result.path, result.summary, known)
            result.hidden_unsafe = found.hidden_unsafe
            continue
        _merge(result, found)


def drop_filtered(
    results: Sequence[FileResult], config: Config, cache: Optional[ResultCache], stats: Optional[ProjectStats] = None
) -> dict[str, dict]:
    """Drop the phase-1 findings the project filters (`filters.FILTERS`) judge harmless. Their
    answers are cached under a digest of every file's bytes: a run where nothing changed reads
    them instead of recomputing one-shot callers, event-loop ranges, thread reach, dead
    definitions and import-time accessors; any changed file recomputes them all. The files'
    hashes are those the cache took in phase 1 (`ResultCache.content_digests`); without a
    cache there is nothing to key, and nothing is hashed."""
    key = filters.digest(_contents(results, cache), config) if cache is not None else ""
    known = cache.filter_answers(key, config) if cache is not None else None
    if known is None:
        project = filters.Project(summaries(results), [r.path for r in results], read_bytes, config)
        known = filters.answers({r.path: r.findings for r in results}, project)
        if cache is not None:
            cache.put_filter_answers(key, config, known)
        if stats is not None:
            stats.filtered += 1
    for result in results:
        result.findings = filters.apply(result.findings, result.path, result.summary, known)
    return known


def _contents(results: Sequence[FileResult], cache: ResultCache) -> list[tuple[str, bytes]]:
    """(path, sha256 of its bytes) per result: phase 1's hash when the cache keyed the file, else read now."""
    contents = []
    for result in results:
        known = cache.content_digests.get(result.path)
        if known is not None:
            contents.append((result.path, known))
            continue
        try:
            contents.append((result.path, hashlib.sha256(read_bytes(result.path)).digest()))
        except OSError:
            contents.append((result.path, b""))  # unreadable now: the filters see it so too
    return contents


def _merge(result: FileResult, extra: FileResult) -> None:
    result.findings = sorted([*result.findings, *extra.findings], key=Finding.sort_key)
    result.hidden_unsafe += extra.hidden_unsafe
    if result.error is None and extra.error is not None:
        result.error = extra.error
