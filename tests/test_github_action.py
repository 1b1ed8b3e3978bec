"""`action.yml`: the composite GitHub Action's steps run as written (with bash), on a scratch project.

The install step is replaced by a `racelint` on the path of the fake runner's venv that runs
this checkout; the check steps' shell is executed verbatim.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
RACY = "_x = None\n\n\ndef get():\n    global _x\n    if _x is None:\n        _x = open('/dev/null')\n    return _x\n"


def _step(name: str) -> str:
    return next(step["run"] for step in ACTION["runs"]["steps"] if step.get("name") == name)


def _runner(tmp_path: Path) -> dict[str, str]:
    temp = tmp_path / "runner"
    bin_dir = temp / "racelint-venv" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "racelint"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m cortex_racelint "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "RUNNER_TEMP": str(temp)}


def _run(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    (root / "lazy.py").write_text(RACY)
    return root


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash")
def test_check_step_annotates_and_fails_on_findings(tmp_path: Path, project: Path) -> None:
    env = {**_runner(tmp_path), "RACELINT_ARGS": ".", "RACELINT_BASELINE": ""}
    result = _run(_step("Check"), env, project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("::error title=racelint (CRL101),file=lazy.py,line=6"), result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash")
def test_sarif_step_writes_sarif_and_baseline_silences_old_findings(tmp_path: Path, project: Path) -> None:
    env = _runner(tmp_path)
    baseline = project / "racelint-baseline.json"
    subprocess.run(
        [tmp_path / "runner" / "racelint-venv" / "bin" / "racelint", "check", "--write-baseline", str(baseline), "."],
        cwd=project, env=env, check=True, capture_output=True,
    )
    sarif = tmp_path / "out.sarif"
    step_env = {**env, "RACELINT_ARGS": ".", "RACELINT_BASELINE": str(baseline), "RACELINT_SARIF": str(sarif)}
    result = _run(_step("Write SARIF"), step_env, project)
    assert result.returncode == 0, result.stderr
    assert json.loads(sarif.read_text())["runs"][0]["results"] == []
    result = _run(_step("Check"), step_env, project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_input_is_used_and_documented() -> None:
    text = (REPO / "action.yml").read_text()
    readme = (REPO / "README.md").read_text()
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert f"inputs.{name}" in text, f"input {name} is never used"
        assert name in readme, f"input {name} is not in the README's action section"
