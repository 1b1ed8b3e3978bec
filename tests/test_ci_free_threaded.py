"""The CI's free-threaded leg (`.ci/free-threaded`): found, checked, skipped with the right reason.

No `python3.14t` exists here, so the lookup is faked: `RACELINT_FT_PYTHON` names a stub interpreter
and `RACELINT_CI_DRY_RUN` prints the commands instead of running them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from .conftest import REPO

SCRIPT = REPO / ".ci" / "free-threaded"


def leg(tmp_path: Path, interpreter: str, **env: str) -> str:
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "RACELINT_FT_PYTHON": interpreter, "RACELINT_CI_DRY_RUN": "1", **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def stub(tmp_path: Path, body: str) -> str:
    """An executable standing in for python3.14t; `body` decides the free-threading probe's answer."""
    path = tmp_path / "python3.14t"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_ci_run_calls_the_leg():
    assert ".ci/free-threaded" in (REPO / ".ci" / "run").read_text()
    assert os.access(SCRIPT, os.X_OK)


def test_without_the_interpreter_the_leg_is_skipped_and_says_so(tmp_path):
    out = leg(tmp_path, "python3.14t-not-on-this-machine")
    assert out.strip() == ("free-threaded leg skipped: python3.14t-not-on-this-machine is not installed on this machine "
                           "(the runtime and DPOR suites ran on the GIL build only)")


def test_an_interpreter_that_keeps_the_gil_is_skipped(tmp_path):
    out = leg(tmp_path, stub(tmp_path, "exit 1"))
    assert "skipped" in out and "keeps the GIL with PYTHON_GIL=0" in out and "+ " not in out  # nothing run


def test_a_free_threaded_interpreter_runs_the_runtime_and_dpor_suites_with_the_gil_off(tmp_path):
    # the stub answers "free-threaded" only when the probe itself runs with PYTHON_GIL=0
    python = stub(tmp_path, '[ "$PYTHON_GIL" = 0 ] && exit 0; exit 1')
    out = leg(tmp_path, python)
    commands = [line[2:] for line in out.splitlines() if line.startswith("+ ")]
    assert commands[0] == f"{python} -m venv .venv-ft"
    assert commands[1].endswith("pip install --quiet -e .[test]")
    pytest_run = shlex.split(commands[-1])
    assert pytest_run[:4] == ["env", "PYTHON_GIL=0", ".venv-ft/bin/python", "-m"] and "pytest" in pytest_run
    suites = [arg for arg in pytest_run if arg.startswith("tests/")]
    for needed in ("tests/test_thread_safety.py", "tests/test_singleton_runtime.py", "tests/test_confirm_dpor.py",
                   "tests/test_confirm_deadlocks.py", "tests/fix_safety"):
        assert needed in suites
    assert all((REPO / suite).exists() for suite in suites), suites  # no stale path or unexpanded glob
