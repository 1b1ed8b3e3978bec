"""Project facts for a file an adapter lints on its own (the flake8 plugin, the language server).

"The same findings as `racelint check`" needs the cross-module facts (CRL404, CRL108, the
one-shot callers) a file alone cannot give. The project is the one `racelint check <root>`
would join for this file: the files a walk from `root` finds (excludes and `.gitignore` as
the CLI's walk) that share the file's configuration, where `root` is the configuration's
folder, else the folder above the file's outermost package (a script in neither, or a walk
finding more than `MAX_FILES` files, stands alone). Their summaries come, without
parsing, from the CLI's result cache (`.racelint_cache` in `root`, or `RACELINT_CACHE_DIR`)
when a row matches the file's bytes; the others (a cold cache, an edited file) are parsed
once per process and kept while the file's size and mtime stay the same. The join is
redone only when a summary changed. The file being linted is summarised from the bytes
handed in (an editor's unsaved buffer). Summaries parsed here are stored in the cache too
(rows of their own), so only the first process of a cold project parses. `RACELINT_PROJECT_FACTS=0` turns this off (each file
is then a project of one module, as before). Cost: `benchmarks/single_file_facts.py`.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..config_resolve import ConfigResolver
from ..engine.cache import CACHE_DIR, ResultCache
from ..engine.discovery import discover
from ..engine.sourcefile import read_bytes
from ..engine.lint import lint_source
from ..ftypes import Config, FileResult
from . import filters
from .join import join
from .standalone import with_facts
from .summary import build_summary

_Stat = tuple[int, int]  # (mtime_ns, size)
#: a walk finding more files than this is no project (a home folder): the file stands alone
MAX_FILES = 20000


@dataclass
class ProjectStats:
    """What building one project's facts cost (tests and the benchmark read it)."""

    files: int = 0
    from_cache: int = 0
    parsed: int = 0
    joins: int = 0


@dataclass
class _Project:
    root: Path
    config: Config
    files: list[str]
    #: path -> (stat when read from disk, sha256 of the bytes, summary)
    summaries: dict[str, tuple[Optional[_Stat], bytes, Optional[dict]]] = field(default_factory=dict)
    version: int = 0
    joined: Optional[tuple[int, dict]] = None
    stats: ProjectStats = field(default_factory=ProjectStats)


class ProjectFacts:
    """Per process: the projects of the files linted so far, their summaries and their join."""

    def __init__(self) -> None:
        self._resolver = ConfigResolver()  # the CLI's configuration per file, without an adapter's overrides
        self._projects: dict[tuple[str, Config], Optional[_Project]] = {}

    def project(self, path: str) -> Optional[_Project]:
        """The project `path` belongs to (discovered on first use), or None when it has no root."""
        config = self._resolver.for_path(path)
        root = _root(path, config)
        if root is None:
            return None
        key = (str(root), config)
        if key not in self._projects:
            run = self._resolver.for_folder(root)
            walk = discover([str(root)], excludes_for=self._resolver.excludes, respect_gitignore=run.respect_gitignore)
            files = list(itertools.islice(walk, MAX_FILES + 1))
            if len(files) > MAX_FILES:  # not a project: a home folder, a whole disk
                self._projects[key] = None
            else:
                files = [f for f in files if f.endswith(".py") and self._resolver.for_path(f) == config]
                self._projects[key] = _Project(root, config, files)
        project = self._projects[key]
        if project is None:
            return None
        full = os.path.abspath(path)
        if full not in (os.path.abspath(f) for f in project.files):
            project.files.append(path)
        return project

    def refresh(self, project: _Project, path: str, raw: bytes) -> None:
        """Bring every summary up to date: stat each file; one whose stat changed is read, and its
        summary kept when the bytes are the same, else taken from the cache or parsed. The linted
        file's summary is that of `raw` (the buffer handed in, maybe unsaved)."""
        cache = _cache(project.root)
        linted = os.path.abspath(path)
        changed = False
        parsed: list[tuple[str, bytes, Config, dict]] = []
        for file in project.files:
            full = os.path.abspath(file)
            if full == linted:
                continue
            try:
                info = os.stat(full)
                stat = (info.st_mtime_ns, info.st_size)
                known = project.summaries.get(full)
                if known is not None and known[0] == stat:
                    continue
                content = read_bytes(full)
            except OSError:
                continue
            changed |= self._store(project, full, stat, content, cache, parsed)
        changed |= self._store(project, linted, None, raw, None, [])
        if parsed:
            cache.put_summaries(parsed)  # type: ignore[union-attr]  # the next process reads them
        if cache is not None:
            cache.close()
        if changed or project.joined is None:
            project.version += 1
        project.stats.files = len(project.summaries)

    @staticmethod
    def _store(
        project: _Project, full: str, stat: Optional[_Stat], raw: bytes, cache: Optional[ResultCache], parsed: list
    ) -> bool:
        """Record the summary of `full` holding `raw`; whether it changed."""
        digest = hashlib.sha256(raw).digest()
        known = project.summaries.get(full)
        if known is not None and known[1] == digest:
            project.summaries[full] = (stat, digest, known[2])
            return False
        summary = cache.summary(full, raw, project.config) if cache is not None else None
        if summary:
            project.stats.from_cache += 1
        else:
            summary = _parse(raw, project.config, project.stats)
            if summary is not None and cache is not None:
                parsed.append((full, raw, project.config, summary))
        project.summaries[full] = (stat, digest, summary)
        return True

    def facts(self, project: _Project) -> dict:
        """path -> facts (the join), plus the one-shot functions under `"one_shot"`; redone on a change."""
        if project.joined is None or project.joined[0] != project.version:
            summaries = {path: summary for path, (_, _, summary) in project.summaries.items() if summary}
            facts = join(summaries)
            inputs = filters.Project(summaries, project.files, read_bytes, project.config)
            for each in filters.FILTERS:  # the event-loop model, and the answers a check re-lints with (`relints`)
                if each is filters.EVENT_LOOP or each.relints:
                    for path, own in filters.answer(each, inputs, None).items():
                        facts[path] = {**facts.get(path, {}), **own}  # type: ignore[dict-item]
            project.stats.joins += 1
            project.joined = (project.version, {"facts": facts, "summaries": summaries, "filters": inputs})
        return project.joined[1]


def _root(path: str, config: Config) -> Optional[Path]:
    """The configuration's folder, else the folder holding the file's outermost package (None
    for a file in neither)."""
    if config.root is not None:
        return Path(config.root)
    folder = Path(os.path.abspath(path)).parent
    if not (folder / "__init__.py").is_file():
        return None  # a script outside any package and configuration: a project of one module
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _cache(root: Path) -> Optional[ResultCache]:
    """The CLI's cache of the project (created as the CLI would, ignored by git)."""
    folder = Path(os.environ["RACELINT_CACHE_DIR"]) if os.environ.get("RACELINT_CACHE_DIR") else root / CACHE_DIR
    return ResultCache(root, folder)


def _parse(raw: bytes, config: Config, stats: ProjectStats) -> Optional[dict]:
    stats.parsed += 1
    try:
        return build_summary(ast.parse(raw), config.thread_entries)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


#: one per process: flake8 workers and the language server each keep their own
_PROJECTS = ProjectFacts()


def enabled() -> bool:
    return os.environ.get("RACELINT_PROJECT_FACTS", "1") != "0"


def lint_in_project(raw: bytes, path: str, config: Config, relative_path: str = "", honour_noqa: bool = True) -> FileResult:
    """`lint_source` with this file's project facts, then without the findings the CLI drops for
    functions only one-shot code calls; a file with no project (or with facts turned off, or
    stdin) is linted as a project of one module, as `lint_source` alone does."""
    prepared = _prepare(raw, path, config)
    if prepared is None:
        return lint_source(raw, path, config, relative_path, honour_noqa=honour_noqa)
    project, joined = prepared
    full = os.path.abspath(path)
    own = joined["facts"].get(full) or {}
    result = lint_source(raw, path, with_facts(config, own), relative_path, honour_noqa=honour_noqa)
    summary = joined["summaries"].get(full)
    known = filters.answers({full: result.findings}, joined["filters"])  # as a check drops them (`filters.py`)
    result.findings = filters.apply(result.findings, full, summary, known)
    return result


def config_in_project(raw: bytes, path: str, config: Config) -> Config:
    """`config` with this file's project facts for a fix (`fix_source`, the editor's code actions):
    the join's, and the functions only one-shot code calls (`"one_shot"`, as a fix run passes)."""
    prepared = _prepare(raw, path, config)
    if prepared is None:
        return config
    project, joined = prepared
    full = os.path.abspath(path)
    own = dict(joined["facts"].get(full) or {})
    summary = joined["summaries"].get(full)
    names = {qual.rpartition(".")[2] for qual in (summary or {}).get("functions", {})}
    own.update(filters.facts_for(joined["filters"], {"one_shot": names, "unreached": {full}}).get(full, {}))
    return with_facts(config, own)


def _prepare(raw: bytes, path: str, config: Config) -> Optional[tuple[_Project, dict]]:
    if not enabled() or config.project_facts is not None or path in ("-", "stdin", "<stdin>"):
        return None
    try:
        project = _PROJECTS.project(path)
        if project is None:
            return None
        _PROJECTS.refresh(project, path, raw)
        return project, _PROJECTS.facts(project)
    except (OSError, ValueError):
        return None


def project_stats(path: str) -> Optional[ProjectStats]:
    project = _PROJECTS.project(path)
    return project.stats if project is not None else None
