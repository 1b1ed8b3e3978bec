"""The text edits of each finding's fix, as `--fix` would write them (for JSON and SARIF).

A fix is made of node replacements plus module edits (an import, a lock declaration) and
`--fix` applies them in rounds, re-linting between rounds. A consumer of JSON cannot run
those rounds, so the edits are taken from what `--fix` writes: the file is fixed as
`--fix` fixes it (same configuration, `--unsafe-fixes` included), the difference is cut
into line edits, and each edit goes to the finding whose own fix changes those lines.
An edit several fixes need (an added `import threading`) goes to the first of them only.

What a consumer must do: apply the edits of every finding of a file in one pass (they
never overlap, and sorted by position they can be applied from the last to the first);
the result is byte for byte what `racelint check --fix` writes. A finding's edits alone
are its preview; applied alone they may lack an edit it shares with an earlier finding
of the same file; when two fixes change adjacent lines (one lock around both) the edit
is listed with the first and the second has none. No re-run is needed. A fix that is not
enabled (unsafe, without `--unsafe-fixes`) has no edits: run with `--unsafe-fixes` to get
them; nor has a fix that `--fix` would revert (the fixed file did not compile).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..engine.cache import ResultCache, entry_key
from ..ftypes import Config, FileResult, Finding, FixApplicability


@dataclass(frozen=True)
class Edit:
    """Replace the text from `start` to `end` (1-based rows and columns, end exclusive) by `content`."""

    start: tuple[int, int]
    end: tuple[int, int]
    content: str


@dataclass(frozen=True)
class _Hunk:
    """Old lines [first, last) become `new`."""

    first: int
    last: int
    new: tuple[str, ...]


def enabled(finding: Finding, config: Config) -> bool:
    """Whether `--fix` with this configuration applies the finding's fix."""
    if finding.fix_applicability is FixApplicability.SAFE:
        return True
    return finding.fix_applicability is FixApplicability.UNSAFE and config.unsafe_fixes


def _key(finding: Finding) -> tuple:
    return (finding.code, finding.span.start.line, finding.span.start.column)


def fix_edits(
    results: Sequence[FileResult],
    config: Optional[Config],
    config_for: Optional[Callable[[str], Config]] = None,
    cache: Optional[ResultCache] = None,
) -> dict[tuple, list[Edit]]:
    """(path, code, line, column) of each finding with an enabled fix -> its edits; each file
    fixed with its own configuration when `config_for` gives it (configuration per file).
    With a `cache` (none under `--no-cache`) the fix run and each file's edit split are read
    back when nothing they depend on changed: a warm JSON run fixes nothing again."""
    config = config or Config()
    if config_for is not None:
        groups: dict[str, tuple[Config, list[FileResult]]] = {}
        for result in results:
            own = config_for(result.path)
            groups.setdefault(repr((own.cache_key(), own.root)), (own, []))[1].append(result)
        if len(groups) > 1:
            edits: dict[tuple, list[Edit]] = {}
            for own, group in groups.values():
                edits.update(fix_edits(group, own, None, cache))
            return edits
        if groups:
            config = next(iter(groups.values()))[0]
    wanted = [r for r in results if any(enabled(f, config) for f in r.findings)]
    on_disk = [r.path for r in wanted if r.new_source is None and r.old_source is None and r.path != "-"]
    project = [r.path for r in results if r.path != "-"]  # the project rules' facts come from every file
    summaries = {r.path: r.summary for r in results if r.summary}  # a check's: not parsed again
    fixed = dict(zip(on_disk, _fix_files(on_disk, config, project, summaries, cache)))
    edits: dict[tuple, list[Edit]] = {}
    stored: list[tuple[str, str, Config, dict]] = []
    for result in wanted:
        done = fixed.get(result.path)
        source = done.old_source if done is not None else _linted_source(result)
        if source is None:
            continue
        key = _edits_key(result, source, config, done) if cache is not None and done is not None else None
        per_finding = _edits_from_json(cache.get_edits(result.path, key, config)) if key is not None else None
        if per_finding is None:
            try:
                per_finding = _file_edits(result, source, config, done)
            except Exception:  # noqa: BLE001 - no edits is the honest answer when they cannot be computed
                continue
            if key is not None:
                stored.append((result.path, key, config, _edits_to_json(per_finding)))
        for finding_key, found in per_finding.items():
            edits[(result.path, *finding_key)] = found
    if cache is not None:
        cache.put_edits(stored)
        cache.close()  # this process's connection: opened again by the next run that needs it
    return edits


def _edits_key(result: FileResult, source: bytes, config: Config, done: FileResult) -> str:
    """Everything `_file_edits` reads: the file's lint key (tool, configuration, path, bytes),
    its enabled findings in order and what the fix made of it."""
    digest = hashlib.sha256(entry_key(result.path, source, config).encode())
    owners = [(*_key(f), f.fix_applicability.value) for f in sorted(result.findings, key=Finding.sort_key) if enabled(f, config)]
    digest.update(repr((owners, done.fix_error, done.error is not None)).encode())
    digest.update(hashlib.sha256(done.new_source or b"").hexdigest().encode())
    return digest.hexdigest()


def _edits_to_json(per_finding: dict[tuple, list[Edit]]) -> dict:
    return {"items": [[list(key), [[list(e.start), list(e.end), e.content] for e in found]] for key, found in per_finding.items()]}


def _edits_from_json(data: Optional[dict]) -> Optional[dict[tuple, list[Edit]]]:
    """The stored edits, or None (recomputed) when absent or not as `_edits_to_json` writes them."""
    if data is None:
        return None
    try:
        return {
            tuple(key): [Edit((int(s[0]), int(s[1])), (int(e[0]), int(e[1])), str(content)) for s, e, content in found]
            for key, found in data["items"]
        }
    except (KeyError, TypeError, ValueError):
        return None


def _fix_files(
    paths: Sequence[str],
    config: Config,
    project: Sequence[str],
    summaries: Optional[dict[str, dict]] = None,
    cache: Optional[ResultCache] = None,
) -> Sequence[Optional[FileResult]]:
    """The files fixed as `--fix` fixes them (with the project facts of all of `project`), in parallel."""
    if not paths:
        return []
    from ..api import run_files

    try:
        return run_files(paths, config, True, project_paths=project, summaries=summaries, fix_cache=cache)
    except Exception:  # noqa: BLE001 - each file is then fixed here, one by one
        return [None] * len(paths)


def _linted_source(result: FileResult) -> Optional[bytes]:
    """The text the findings are positioned in: the fixed text after a fix, the input read
    from stdin, else the file (a lint keeps no copy of what it read)."""
    if result.new_source is not None:
        return result.new_source
    if result.old_source is not None:
        return result.old_source
    if result.path == "-":
        return None
    try:
        return Path(result.path).read_bytes()
    except OSError:
        return None


def _lines(data: bytes) -> list[str]:
    return split_lines(data.decode("utf-8"))


def split_lines(text: str) -> list[str]:
    """Lines with their breaks, split where Python ends a line (not at a form feed, as `str.splitlines` does)."""
    return _LINE.findall(text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _hunks(old: list[str], new: list[str]) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        _Hunk(i1, i2, tuple(new[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _file_edits(
    result: FileResult, source: bytes, config: Config, fixed: Optional[FileResult] = None
) -> dict[tuple, list[Edit]]:
    """The edits of each enabled fix of `result`; `fixed` is `source` already fixed, if it was."""
    if fixed is None:
        from ..api import relative_path
        from ..engine.fixer import fix_source  # imported on use: only machine formats need the fixer

        fixed = fix_source(source, result.path, config, relative_path(result.path, config))
    if fixed.new_source is None or fixed.fix_error or fixed.error:
        return {}
    old = _lines(source)
    hunks = _hunks(old, _lines(fixed.new_source))
    owners = [f for f in sorted(result.findings, key=Finding.sort_key) if enabled(f, config)]
    try:  # with one fix in the file, every edit is its own
        touched = _lines_each_fix_touches(source, result.path, config, {_key(f) for f in owners}) if len(owners) > 1 else {}
    except Exception:  # noqa: BLE001 - every edit then goes to the file's first fix: still what `--fix` writes
        touched = {}
    by_finding: dict[tuple, list[Edit]] = {_key(f): [] for f in owners}
    for hunk in hunks:
        owner = _owner(hunk, owners, touched)
        by_finding[_key(owner)].append(_as_edit(hunk, old))
    return by_finding


def _owner(hunk: _Hunk, owners: Sequence[Finding], touched: dict[tuple, list[_Hunk]]) -> Finding:
    """The first finding whose own fix changes the hunk's lines; else the one that touches them; else the first."""
    for overlapping in (_intersects, _touches):
        for finding in owners:
            if any(overlapping(hunk, own) for own in touched.get(_key(finding), ())):
                return finding
    nearest = min(owners, key=lambda f: abs(f.span.start.line - 1 - hunk.first))
    return nearest if touched else owners[0]


def _intersects(a: _Hunk, b: _Hunk) -> bool:
    if a.first == a.last or b.first == b.last:  # an insertion: at the same place, or inside the other
        return a.first == b.first or (b.first < a.first < b.last) or (a.first < b.first < a.last)
    return a.first < b.last and b.first < a.last


def _touches(a: _Hunk, b: _Hunk) -> bool:
    return a.first <= b.last and b.first <= a.last


def _lines_each_fix_touches(source: bytes, path: str, config: Config, wanted: set[tuple]) -> dict[tuple, list[_Hunk]]:
    """Each wanted finding's own fix, applied alone to the unfixed module, as line hunks."""
    from ..api import relative_path
    from ..engine.fixer import apply_fixes
    from ..engine.lint import parse, run_rules, to_findings
    from ..engine.sourcefile import NewlineStyle
    from ..registry import RuleSet

    style = NewlineStyle.detect(source)
    text = style.to_parser(source)
    module = parse(text)
    rule_set = RuleSet.for_file(config, relative_path(path, config))
    codes = {code for code, *_ in wanted}  # only the rules whose fixes are wanted: the others can cost a lot
    run = run_rules(module, path, [rule for rule in rule_set.rules if rule.CODE in codes], config)
    _, kept = to_findings(run, path, text.decode(module.encoding), config, rule_set)
    old = _lines(source)
    touched: dict[tuple, list[_Hunk]] = {}
    for report in kept:
        if report.primary is not None or report.fix is None:
            continue
        span = run.span(report.node)
        key = (report.code, span.start.line, span.start.column)
        if key not in wanted:
            continue
        group = [report, *(r for r in kept if r.primary is report.node and r.fix is not None)]
        alone = style.from_parser(apply_fixes(module, group).bytes)
        touched[key] = _hunks(old, _lines(alone))
    return touched


def _position(old: list[str], line_index: int) -> tuple[int, int]:
    """(row, column) of the start of old line `line_index`; past the end, the end of the text."""
    if line_index < len(old) or not old or old[-1].endswith(("\n", "\r")):
        return (line_index + 1, 1)
    return (len(old), len(old[-1]) + 1)  # the last line has no line break: its end


def _as_edit(hunk: _Hunk, old: list[str]) -> Edit:
    return Edit(_position(old, hunk.first), _position(old, hunk.last), "".join(hunk.new))


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """`source` with non-overlapping `edits` applied (what a consumer does; used by the tests)."""
    starts = [0]
    for line in split_lines(source):
        starts.append(starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        row, column = position
        return starts[row - 1] + column - 1 if row <= len(starts) else len(source)

    text = source
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: offset(edit.start)] + edit.content + text[offset(edit.end) :]
    return text
