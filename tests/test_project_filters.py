"""The project filters (`project/filters.py`): one list for check, single-file lint and fix, and
their answers cached under the digest of the run's files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import Config
from cortex_racelint.project import filters, single_file
from cortex_racelint.project.phase import ProjectStats

from .test_project_one_shot import APPLICATION, COPY_LINE, PROFILES, REFRESH_LINE


def _project(root: Path, application: str = APPLICATION) -> list[str]:
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    files = {"app/__init__.py": "", "app/profiles.py": PROFILES, "app/application.py": application}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return sorted(str(root / name) for name in files)


def _crl301(results: list) -> list[int]:
    return sorted(f.line for r in results for f in r.findings if f.code == "CRL301")


class _EveryFunctionOneShot(filters.OneShotCallers):
    """A spy: every function of the project is "one-shot", so each path using the list drops
    (or, fixing, leaves alone) every CRL301 of them; `asked` records that it was consulted."""

    name = "spy"

    def __init__(self) -> None:
        self.asked = 0

    def answer(self, project: filters.Project, wanted: Optional[set]) -> dict[str, object]:
        self.asked += 1
        return {path: {qual: "spy" for qual in summary.get("functions", {})} for path, summary in project.summaries.items()}


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> _EveryFunctionOneShot:
    found = _EveryFunctionOneShot()
    monkeypatch.setattr(filters, "FILTERS", (*filters.FILTERS, found))  # last: its "one_shot" fact wins
    return found


def test_without_the_spy_the_service_method_is_reported(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    assert _crl301(run_files(paths, Config(root=tmp_path), fix=False, jobs=1)) == [REFRESH_LINE]


def test_check_uses_the_list(tmp_path: Path, spy: _EveryFunctionOneShot) -> None:
    paths = _project(tmp_path)
    assert _crl301(run_files(paths, Config(root=tmp_path), fix=False, jobs=1)) == []
    assert spy.asked == 1


def test_single_file_lint_uses_the_list(tmp_path: Path, spy: _EveryFunctionOneShot) -> None:
    _project(tmp_path)
    profiles = tmp_path / "app/profiles.py"
    result = single_file.lint_in_project(profiles.read_bytes(), str(profiles), Config(root=tmp_path))
    assert spy.asked == 1 and _crl301([result]) == []


def test_fix_uses_the_list(tmp_path: Path, spy: _EveryFunctionOneShot) -> None:
    paths = _project(tmp_path)
    results = run_files(paths, Config(root=tmp_path), fix=True, jobs=1)
    assert spy.asked == 1
    assert not any(r.new_source for r in results)  # refresh is "one-shot" too: nothing to lock


def test_every_filter_says_what_it_reads_and_drops_only_its_codes() -> None:
    names = [each.name for each in filters.FILTERS]
    assert len(set(names)) == len(names) == 6  # thread_entries (CRL304 evidence) drops nothing: it re-lints
    assert all(each.reads and each.codes for each in filters.FILTERS)


def _check(root: Path, paths: list[str]) -> tuple[list[int], ProjectStats]:
    stats = ProjectStats()
    results = run_files(paths, Config(root=root), fix=False, jobs=1, cache=ResultCache(root), stats=stats)
    return _crl301(results), stats


def test_a_warm_run_reads_the_answers(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    lines, stats = _check(tmp_path, paths)
    assert (lines, stats.linted, stats.filtered) == ([REFRESH_LINE], 3, 1)
    lines, stats = _check(tmp_path, paths)
    assert (lines, stats.linted, stats.filtered) == ([REFRESH_LINE], 0, 0)


def test_an_edit_changing_an_answer_is_seen_on_the_next_warm_run(tmp_path: Path) -> None:
    """Service code now calls `copy_config_file` too: it is no longer one-shot. Its own file is
    unchanged (its phase-1 result comes from the cache); the answer must not."""
    paths = _project(tmp_path)
    assert _check(tmp_path, paths)[0] == [REFRESH_LINE]
    served = APPLICATION.replace(
        'self.profile_dir.refresh("a.py", "/src")',
        'self.profile_dir.refresh("a.py", "/src")\n            self.profile_dir.copy_config_file("b.py", "/src")',
    )
    _project(tmp_path, served)
    lines, stats = _check(tmp_path, paths)
    assert (stats.linted, stats.filtered) == (1, 1)
    assert lines == [COPY_LINE, REFRESH_LINE]


def test_a_mention_in_text_the_summaries_cannot_explain_is_seen(tmp_path: Path) -> None:
    """The one-shot count reads the text: an edit only a comment shows still recomputes."""
    paths = _project(tmp_path)
    assert _check(tmp_path, paths)[0] == [REFRESH_LINE]
    _project(tmp_path, APPLICATION + "\n# copy_config_file is also called by a plugin\n")
    lines, stats = _check(tmp_path, paths)
    assert stats.filtered == 1 and lines == [COPY_LINE, REFRESH_LINE]
