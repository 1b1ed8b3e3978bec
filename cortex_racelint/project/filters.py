"""The project filters: one ordered list of the phase-1 "drop findings" steps, for every path.

A per-file finding can be harmless for a reason only the whole project shows: only one-shot
code calls the function, only an event loop runs it, no thread reaches its private module,
it is dead code, an import already ran it. Each filter here says what it reads from the
summaries (`reads`), answers per file (`answer`: path -> a JSON value), drops findings with
that answer (`drop`) and, for a fix run, names the project fact carrying it (`fact`).

Three paths use `FILTERS`, so they stay in step:
- `racelint check` (`phase.run_phase_two`): the answers for the files with a finding the
  filter judges, cached under a digest of every file's bytes (`answers`);
- a file linted alone (flake8, the language server: `single_file.lint_in_project`);
- a fix run (`api`'s project `--fix`, the editor's code actions): the answers become the
  file's project facts (`facts_for`), which the rules read themselves.

The answer of a filter for a file does not depend on which other files were asked about
(`wanted` only saves work), so the order of the list does not change what is dropped.

Some answers change what a file's own rules report, not only which findings stay: CRL304
names the thread entry reaching its function. A filter names those facts in `relints`; the
check re-lints such a file with its answer (`relint_facts`), so it reports what flake8, which
lints with the facts, reports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from ..ftypes import Config, Finding
from . import entry_reach, event_loop, import_time, one_shot_callers, thread_reach

Read = Callable[[str], bytes]


@dataclass
class Project:
    """What the filters read: the summaries, every file of the run (a file with no summary is
    still text for the one-shot count), how to read one, the configuration; `memo` shares a
    computation between filters (thread reach and dead definitions come from one pass)."""

    summaries: dict[str, dict]
    paths: Sequence[str]
    read: Read
    config: Config
    memo: dict = field(default_factory=dict)


def _enclosing_names(findings: Iterable[Finding], summary: Optional[dict], codes: frozenset) -> set:
    return {
        qual.rpartition(".")[2]
        for f in findings
        if f.code in codes and summary is not None and (qual := one_shot_callers.enclosing(summary, f.line)) is not None
    }


class ProjectFilter:
    """One "drop findings" step. Subclasses set `name`, `codes`, `reads`, `fact` and the methods."""

    name = ""
    codes: frozenset = frozenset()
    reads = ""  # what it needs from the summaries (documentation, and the test of the list)
    fact: Optional[str] = None  # the project-fact key a fix run passes (None: a fix run does not use it)
    relints: tuple[str, ...] = ()  # keys of its answer that change what the file's rules report

    def wanted(self, findings: dict[str, list[Finding]], project: Project) -> Optional[set]:
        """What to ask about (names or paths); an empty set: nothing to judge, no answer computed."""
        return {path for path, found in findings.items() if any(f.code in self.codes for f in found)}

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        raise NotImplementedError

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        raise NotImplementedError


class OneShotCallers(ProjectFilter):
    name = "one_shot"
    codes = one_shot_callers.CODES
    reads = "one_shot_calls, functions (calls, line, end), imports, and the text of every file"
    fact = "one_shot"

    def wanted(self, findings: dict[str, list[Finding]], project: Project) -> Optional[set]:
        names: set = set()
        for path, found in findings.items():
            names |= _enclosing_names(found, project.summaries.get(path), self.codes)
        return names

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return one_shot_callers.one_shot_functions(project.summaries, project.paths, project.read, wanted)  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        if not own or summary is None:
            return findings
        return [f for f in findings if f.code not in self.codes or one_shot_callers.enclosing(summary, f.line) not in own]  # type: ignore[operator]


class EventLoop(ProjectFilter):
    name = "event_loop"
    codes = event_loop.CODES
    reads = "functions (async, loop, scheduled, calls, line, end), classes (thread, protocol), entries, imports, import_calls, handed"
    fact = ""  # its facts (`loop_only`) are merged into the file's facts as they are

    def wanted(self, findings: dict[str, list[Finding]], project: Project) -> Optional[set]:
        return None if any(f.code in self.codes for found in findings.values() for f in found) else set()

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return event_loop.file_facts(project.summaries, project.config.event_loop_packages)  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        return event_loop.keep(findings, (own or {}).get("loop_only"))  # type: ignore[union-attr]


def _reach(project: Project, wanted: Optional[set]) -> tuple[dict, dict]:
    """`thread_reach.unreached_code` once per run and question (two filters read it)."""
    key = ("reach", None if wanted is None else frozenset(wanted))
    if key not in project.memo:
        names = project.memo.setdefault("names", {})  # module names, kept between questions
        project.memo[key] = thread_reach.unreached_code(project.summaries, project.read, wanted, names)
    return project.memo[key]


class UnreachedModules(ProjectFilter):
    name = "unreached"
    codes = thread_reach.CODES
    reads = "entries, spawns, imported, functions (calls), classes, and the names each module's code uses"
    fact = "unreached"

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return _reach(project, wanted)[0]  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        return [f for f in findings if f.code not in self.codes] if own else findings


class DeadDefinitions(ProjectFilter):
    name = "dead"
    codes = thread_reach.CODES
    reads = "as unreached, and each top-level definition's lines, decorators and the names it uses"
    fact = None  # a fix run still fixes dead code: a lock in code that never runs changes nothing

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return _reach(project, wanted)[1]  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        if not own:
            return findings
        return [f for f in findings if f.code not in self.codes or not any(a <= f.line <= b for a, b, _ in own)]  # type: ignore[attr-defined]


class ImportTime(ProjectFilter):
    name = "import_time"
    codes = import_time.CODES
    reads = "import_calls, functions (gstores, line, end), imports"
    fact = "import_time"

    def wanted(self, findings: dict[str, list[Finding]], project: Project) -> Optional[set]:
        return None if any(f.code in self.codes for found in findings.values() for f in found) else set()

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return import_time.import_time_functions(project.summaries)  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        if not own or summary is None:
            return findings
        return [f for f in findings if f.code not in self.codes or one_shot_callers.enclosing(summary, f.line) not in own]  # type: ignore[operator]


class ThreadEntries(ProjectFilter):
    """Drops nothing: CRL304's evidence of a second thread (`entry_reach.py`), which the rule states
    in its message when a thread entry reaches the function (`relints`: phase 1 linted without it)."""

    name = "thread_entries"
    codes = frozenset({"CRL304"})
    reads = "entries, functions (calls, under, line, end), globals, classes, imports"
    fact = None  # a fix does not depend on it (`check --fix` reports what it left with the assumption)
    relints = (entry_reach.FACT,)

    def wanted(self, findings: dict[str, list[Finding]], project: Project) -> Optional[set]:
        return {
            (path, qual)
            for path, found in findings.items()
            for f in found
            if f.code in self.codes and (summary := project.summaries.get(path)) is not None
            and (qual := entry_reach.innermost(summary, f.line)) is not None
        }

    def answer(self, project: Project, wanted: Optional[set]) -> dict[str, object]:
        return entry_reach.entries_reaching(project.summaries, wanted)  # type: ignore[return-value]

    def drop(self, findings: list[Finding], summary: Optional[dict], own: object) -> list[Finding]:
        return findings


#: the project filters, in the order every path applies them
EVENT_LOOP = EventLoop()  # a single-file adapter also lints with its facts (`single_file.ProjectFacts.facts`)
FILTERS: tuple[ProjectFilter, ...] = (
    OneShotCallers(), EVENT_LOOP, UnreachedModules(), DeadDefinitions(), ImportTime(), ThreadEntries()
)


def answer(each: ProjectFilter, project: Project, wanted: Optional[set]) -> dict[str, object]:
    """`each.answer`, once per project and question (a single-file adapter asks file by file)."""
    key = (each.name, None if wanted is None else frozenset(wanted))
    if key not in project.memo:
        project.memo[key] = each.answer(project, wanted)
    return project.memo[key]


def answers(findings: dict[str, list[Finding]], project: Project) -> dict[str, dict]:
    """filter name -> path -> answer, for the files whose findings the filter judges."""
    found: dict[str, dict] = {}
    for each in FILTERS:
        wanted = each.wanted(findings, project)
        found[each.name] = answer(each, project, wanted) if wanted is None or wanted else {}
    return found


def apply(findings: list[Finding], path: str, summary: Optional[dict], known: dict[str, dict]) -> list[Finding]:
    """`findings` of `path` without those some filter drops, by the answers `known` (`answers`)."""
    for each in FILTERS:
        own = known.get(each.name, {}).get(path)
        if own:
            findings = each.drop(findings, summary, own)
    return findings


def relint_facts(known: dict[str, dict]) -> dict[str, dict]:
    """path -> the answers (`known`, as `answers` gives them) to lint the file with again, for the
    files where an answer carries a fact that changes what its own rules report (`relints`)."""
    facts: dict[str, dict] = {}
    for each in FILTERS:
        if not each.relints:
            continue
        for path, own in known.get(each.name, {}).items():
            if isinstance(own, dict) and any(own.get(key) for key in each.relints):
                facts.setdefault(path, {}).update(own if not each.fact else {each.fact: own})  # type: ignore[arg-type]
    return facts


def facts_for(project: Project, wanted: Optional[dict[str, Optional[set]]] = None) -> dict[str, dict]:
    """path -> the project facts a fix run passes (each filter with a `fact`); `wanted`: filter
    name -> what to ask about (default: everything)."""
    facts: dict[str, dict] = {}
    for each in FILTERS:
        if each.fact is None:
            continue
        question = (wanted or {}).get(each.name)
        for path, own in answer(each, project, question).items():
            if not own:
                continue
            if each.fact:
                facts.setdefault(path, {})[each.fact] = own
            else:
                facts.setdefault(path, {}).update(own)  # type: ignore[arg-type]
    return facts


def digest(contents: Iterable[tuple[str, bytes]], config: Config) -> str:
    """The key of a run's answers: every file's path and content hash, and the configuration.
    The phase-1 findings and summaries are functions of these (and the tool, in the cache's key)."""
    hasher = hashlib.sha256(config.cache_key().removesuffix(config.facts_key()).encode())
    for path, sha in sorted(contents):
        hasher.update(path.encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")
        hasher.update(sha)
    return hasher.hexdigest()


def to_json(known: dict[str, dict]) -> str:
    return json.dumps(known, sort_keys=True)
