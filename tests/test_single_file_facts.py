"""flake8 and the language server lint one file with its project's facts (issue 18): the same
CRL404 / CRL108 / one-shot answers as `racelint check`, from the CLI's cache when it is warm."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import Config
from cortex_racelint.project import single_file

from .test_project_one_shot import APPLICATION, PROFILES, REFRESH_LINE
from .test_project_lock_holders import MONITOR

WORKERS = """
    from concurrent.futures import ThreadPoolExecutor

    from app.monitor import get_monitor


    def check(url):
        get_monitor().record(url.startswith("https"))


    def run(urls):
        with ThreadPoolExecutor(4) as pool:
            for url in urls:
                pool.submit(check, url)
"""


def _write(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _flake8(root: Path, *files: str, env: dict | None = None) -> set[tuple[str, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CRL", "--format", "%(path)s|%(row)d|%(code)s", *files],
        capture_output=True, text=True, cwd=root, env=env,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {(Path(p).name, int(r), c) for p, r, c in (line.split("|") for line in proc.stdout.splitlines())}


def _cli(root: Path, *args: str) -> set[tuple[str, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", *args, "--format", "json", "."],
        capture_output=True, text=True, cwd=root,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {(Path(i["filename"]).name, i["location"]["row"], i["code"]) for i in json.loads(proc.stdout)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path, {"app/__init__.py": "", "app/monitor.py": MONITOR, "app/workers.py": WORKERS})
    return tmp_path


def test_flake8_on_one_file_gives_the_clis_cross_module_finding(project: Path) -> None:
    from_cli = _cli(project, "--no-cache")
    assert ("monitor.py", 9, "CRL404") in from_cli  # `self.failures += 1`, reached from workers.py's pool
    only_monitor = _flake8(project, "app/monitor.py")
    assert only_monitor == {f for f in from_cli if f[0] == "monitor.py"}


def test_without_project_facts_flake8_sees_a_project_of_one_module(project: Path) -> None:
    """The switch works, and the finding above really needs the other module."""
    import os

    env = {**os.environ, "RACELINT_PROJECT_FACTS": "0"}
    assert not {f for f in _flake8(project, "app/monitor.py", env=env) if f[2] == "CRL404"}


def test_a_warm_cache_gives_the_summaries_without_parsing(project: Path) -> None:
    paths = [str(p) for p in sorted(project.rglob("*.py"))]
    run_files(paths, Config(root=project), fix=False, jobs=1, cache=ResultCache(project))
    facts = single_file.ProjectFacts()
    monitor = str(project / "app/monitor.py")
    found = facts.project(monitor)
    assert found is not None and sorted(Path(f).name for f in found.files) == ["__init__.py", "monitor.py", "workers.py"]
    facts.refresh(found, monitor, Path(monitor).read_bytes())
    assert (found.stats.from_cache, found.stats.parsed) == (2, 1)  # the others from the cache; the linted file from its bytes
    joined = facts.facts(found)
    assert "Monitor" in joined["facts"][monitor]["classes"]
    facts.refresh(found, monitor, Path(monitor).read_bytes())
    facts.facts(found)
    assert (found.stats.parsed, found.stats.joins) == (1, 1)  # nothing changed: no parse, no join
    workers_path = str(project / "app/workers.py")
    facts.refresh(facts.project(workers_path), workers_path, Path(workers_path).read_bytes())
    facts.facts(found)
    assert (found.stats.parsed, found.stats.joins) == (1, 1)  # the next file linted: its bytes are known, no parse
    workers = project / "app/workers.py"
    workers.write_text(workers.read_text().replace("pool.submit(check, url)", "pass"))
    facts.refresh(found, monitor, Path(monitor).read_bytes())
    assert found.stats.parsed == 2  # the edited file, not in the cache: parsed
    assert facts.facts(found)["facts"] == {}  # no thread reaches the monitor any more
    cold = single_file.ProjectFacts()
    (project / ".racelint_cache" / "results.sqlite3").unlink()
    again = cold.project(monitor)
    cold.refresh(again, monitor, Path(monitor).read_bytes())
    assert (again.stats.from_cache, again.stats.parsed) == (0, 3)  # cold: every file parsed, once
    later = single_file.ProjectFacts()  # the next process: reads what the cold one stored
    third = later.project(monitor)
    later.refresh(third, monitor, Path(monitor).read_bytes())
    assert (third.stats.from_cache, third.stats.parsed) == (2, 1)


def test_flake8_drops_what_one_shot_code_alone_calls_as_the_cli_does(tmp_path: Path) -> None:
    _write(tmp_path, {"app/__init__.py": "", "app/profiles.py": PROFILES, "app/application.py": APPLICATION})
    from_cli = _cli(tmp_path, "--no-cache")
    assert {f for f in from_cli if f[2] == "CRL301"} == {("profiles.py", REFRESH_LINE, "CRL301")}
    assert {f for f in _flake8(tmp_path, "app/profiles.py") if f[2] == "CRL301"} == {("profiles.py", REFRESH_LINE, "CRL301")}


def test_the_editor_buffer_is_what_is_linted(project: Path) -> None:
    """The language server hands unsaved text: its summary is built from it, not from the disk."""
    workers = str(project / "app/workers.py")
    monitor = str(project / "app/monitor.py")
    single_file.lint_in_project(Path(monitor).read_bytes(), monitor, Config(root=project))
    unsaved = Path(workers).read_text().replace("pool.submit(check, url)", "pass")
    result = single_file.lint_in_project(unsaved.encode(), workers, Config(root=project))
    assert result.error is None
    after = single_file.lint_in_project(Path(monitor).read_bytes(), monitor, Config(root=project))
    assert [f.code for f in after.findings if f.code == "CRL404"] == ["CRL404"]  # the monitor's project is the disk's


def test_the_editors_fix_of_a_cross_module_finding_has_its_facts(project: Path) -> None:
    """A code action fixes what the lint showed: `fix_source` gets the same project facts."""
    from cortex_racelint.engine.fixer import fix_source

    monitor = project / "app/monitor.py"
    raw = monitor.read_bytes()
    config = Config(root=project, unsafe_fixes=True, select=("CRL404",))
    assert fix_source(raw, str(monitor), config).new_source is None  # alone: no finding, nothing to fix
    fixed = fix_source(raw, str(monitor), single_file.config_in_project(raw, str(monitor), config))
    assert fixed.new_source is not None and b"with self._lock:\n" in fixed.new_source


def test_a_script_outside_any_package_and_configuration_stands_alone(tmp_path: Path) -> None:
    """No configuration and no package: the walk would start who knows where (a home folder)."""
    script = tmp_path / "script.py"
    script.write_text("print('hi')\n")
    assert single_file.ProjectFacts().project(str(script)) is None
    (tmp_path / "pyproject.toml").write_text("[tool.racelint]\n")
    assert single_file.ProjectFacts().project(str(script)) is not None


def test_a_walk_finding_too_many_files_is_no_project(project: Path, monkeypatch) -> None:
    monkeypatch.setattr(single_file, "MAX_FILES", 2)
    assert single_file.ProjectFacts().project(str(project / "app/monitor.py")) is None
