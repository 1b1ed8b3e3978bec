"""The fix run behind the JSON/SARIF edits is cached (issue 18, warm runs): a warm run fixes
nothing again and prints the same bytes; an edit, `--unsafe-fixes` or a change of the file's
project facts is seen; `--no-cache` and `--fix` never read it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.engine import fixer
from cortex_racelint.output import edits

from .conftest import FIXTURES
from .test_project_index import HEALTH, UNRELATED, WORKERS

RACY = FIXTURES / "singletons" / "global_is_none.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in {"app/__init__.py": "", "app/health.py": HEALTH, "app/workers.py": WORKERS, "app/util.py": UNRELATED}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    shutil.copy(RACY, tmp_path / "app" / "single.py")
    return tmp_path


@pytest.fixture
def fixed(monkeypatch) -> list[str]:
    """Names of the files the fixer ran on, and `split` for each per-finding edit split."""
    calls: list[str] = []
    real_fix, real_split = fixer.fix_source, edits._lines_each_fix_touches

    def counting_fix(raw, path, *args, **kwargs):
        calls.append(Path(path).name)
        return real_fix(raw, path, *args, **kwargs)

    def counting_split(source, path, *args, **kwargs):
        calls.append("split:" + Path(path).name)
        return real_split(source, path, *args, **kwargs)

    monkeypatch.setattr(fixer, "fix_source", counting_fix)
    monkeypatch.setattr(edits, "_lines_each_fix_touches", counting_split)
    return calls


def _json(run_cli, project: Path, *extra: str) -> str:
    result = run_cli("check", "--exit-zero", "--jobs", "1", "--format", "json", *extra, ".", cwd=project)
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("form", [(), ("--unsafe-fixes",), ("--format", "sarif")])
def test_a_warm_run_gives_the_same_bytes_without_fixing_again(run_cli, project, fixed, form):
    cold = _json(run_cli, project, *form)
    assert "health.py" in fixed and "single.py" in fixed, fixed  # the cold run fixed them (the spy sees it)
    del fixed[:]
    warm = _json(run_cli, project, *form)
    assert warm == cold
    assert fixed == []
    assert '"edits"' in cold or '"fixes"' in cold  # the output has edits to compare


def test_no_cache_fixes_again_and_gives_the_same_bytes(run_cli, project, fixed):
    warm = _json(run_cli, project, "--unsafe-fixes")
    _json(run_cli, project, "--unsafe-fixes")
    del fixed[:]
    assert _json(run_cli, project, "--unsafe-fixes", "--no-cache") == warm
    assert "health.py" in fixed and "single.py" in fixed


def test_an_edited_file_is_fixed_again_alone(run_cli, project, fixed):
    _json(run_cli, project, "--unsafe-fixes")
    single = project / "app" / "single.py"
    single.write_text(single.read_text() + "\n# edited\n")
    del fixed[:]
    warm = _json(run_cli, project, "--unsafe-fixes")
    assert sorted(set(fixed)) == ["single.py"]
    assert warm == _json(run_cli, project, "--unsafe-fixes", "--no-cache")


def test_unsafe_fixes_is_part_of_the_key(run_cli, project, fixed):
    safe = _json(run_cli, project)
    del fixed[:]
    unsafe = _json(run_cli, project, "--unsafe-fixes")
    assert "health.py" in fixed, "the unsafe run did not reuse the safe run's fixes"
    assert unsafe != safe
    del fixed[:]
    assert _json(run_cli, project) == safe and fixed == []


def test_a_change_of_the_project_facts_fixes_the_file_again(run_cli, project, fixed):
    """Editing workers.py so health.py is no longer reached from a thread: health.py's bytes did
    not change, its facts did, and its fix must not come from the cache."""
    before = _json(run_cli, project, "--unsafe-fixes")
    assert "self.checks = self.checks + 1" in before  # health.py's CRL404 fix is among the edits
    workers = project / "app" / "workers.py"
    workers.write_text(textwrap.dedent(WORKERS).replace("pool.submit(check, url)", "check(url)"))
    del fixed[:]
    after = _json(run_cli, project, "--unsafe-fixes")
    assert "health.py" in fixed, fixed  # its bytes are those of the cached row: only the facts say it changed
    assert after == _json(run_cli, project, "--unsafe-fixes", "--no-cache")
    assert after != before


def test_fix_does_not_read_the_edit_cache(run_cli, project, fixed):
    _json(run_cli, project, "--unsafe-fixes")
    del fixed[:]
    result = run_cli("check", "--fix", "--unsafe-fixes", "--jobs", "1", ".", cwd=project)
    assert "health.py" in fixed and "single.py" in fixed
    assert result.code in (0, 1)
    assert "with self._lock:" in (project / "app" / "health.py").read_text()
