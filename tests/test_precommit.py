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


@pytest.mark.slow
def test_try_repo_fails_racy_then_passes_fixed(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    # a snapshot of this repository as a hook repository (try-repo needs a git repo)
    hook_repo = tmp_path / "hook_repo"
    shutil.copytree(
        REPO,
        hook_repo,
        ignore=shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.egg-info", ".pytest_cache", "fixtures", "tests", "cortex", "benchmarks", ".racelint_cache", ".hypothesis"),
    )
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-qm", "snapshot")

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    shutil.copy(FIXTURES / "singletons" / "global_is_none.py", project / "history.py")
    git(project, "add", "history.py")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

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
