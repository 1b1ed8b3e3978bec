"""The pre-commit manifest validates, and `pre-commit try-repo` fails a racy file, passes a fixed one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import FIXTURES, REPO

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def have_pre_commit() -> bool:
    return subprocess.run([*PRE_COMMIT, "--version"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not have_pre_commit(), reason="pre-commit is a test extra")


def test_manifest_validates():
    proc = subprocess.run([*PRE_COMMIT, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A snapshot of this repository as a hook repository (try-repo needs a git repo)."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    hook_repo = tmp_path_factory.mktemp("hooks") / "hook_repo"
    shutil.copytree(
        REPO,
        hook_repo,
        ignore=shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.egg-info", ".pytest_cache", "fixtures", "tests", "cortex", "benchmarks", ".racelint_cache", ".hypothesis"),
    )
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-qm", "snapshot")
    return hook_repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre_commit_home")


@pytest.mark.slow
def test_try_repo_fails_racy_then_passes_fixed(tmp_path, hook_repo, pre_commit_home):
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    shutil.copy(FIXTURES / "singletons" / "global_is_none.py", project / "history.py")
    git(project, "add", "history.py")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}

    def try_repo(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*PRE_COMMIT, "try-repo", str(hook_repo), hook, "--all-files"], cwd=project, capture_output=True, text=True, env=env
        )

    racy = try_repo("racelint")
    assert racy.returncode == 1, racy.stdout + racy.stderr
    assert "CRL101" in racy.stdout

    fix = try_repo("racelint-fix")  # fixes the file; pre-commit fails a hook that modified files
    assert fix.returncode == 1
    assert "_history_lock" in (project / "history.py").read_text()

    git(project, "add", "history.py")
    clean = try_repo("racelint")
    assert clean.returncode == 0, clean.stdout + clean.stderr


RACY = FIXTURES / "singletons" / "global_is_none.py"


def excluding_project(root):
    """A project whose configuration excludes a folder by name; racy files inside and outside it."""
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.racelint]\nexclude = ["generated"]\n')
    for relative in ("generated/x.py", "generated/deep/y.py", "src/a.py"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(RACY, root / relative)
    return ["generated/deep/y.py", "generated/x.py", "src/a.py"]


@pytest.mark.parametrize("hook", ["racelint", "racelint-fix"])
def test_hooks_skip_excluded_files_pre_commit_names(run_cli, tmp_path, hook):
    """What pre-commit runs: the hook's entry, then the staged files' names."""
    import yaml

    (manifest,) = [h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == hook]
    root = tmp_path / "project"
    named = excluding_project(root)
    program, verb, *options = manifest["entry"].split()
    assert (program, "--force-exclude") == ("racelint", options[-1])
    result = run_cli(verb, "--no-cache", *options, *named, cwd=root)
    assert "generated" not in result.out
    assert (root / "generated" / "x.py").read_text() == RACY.read_text()
    if hook == "racelint":
        assert result.code == 1 and "src/a.py" in result.out
    else:
        assert "_history_lock" in (root / "src" / "a.py").read_text()


@pytest.mark.slow
def test_try_repo_honours_exclude(tmp_path, hook_repo, pre_commit_home):
    """A real pre-commit run: the files it passes under an excluded folder are not linted or fixed."""
    root = tmp_path / "project"
    excluding_project(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}

    def try_repo(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*PRE_COMMIT, "try-repo", str(hook_repo), hook, "--all-files", "--verbose"], cwd=root, capture_output=True, text=True, env=env
        )

    check = try_repo("racelint")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "generated/x.py:" not in check.stdout and "generated/deep/y.py:" not in check.stdout
    assert "src/a.py:" in check.stdout
    try_repo("racelint-fix")
    assert (root / "generated" / "x.py").read_text() == RACY.read_text()
    assert "_history_lock" in (root / "src" / "a.py").read_text()
