"""`racelint confirm` for CRL405 (family "walk"): the legacy `run_metrics` dump is confirmed on every
run, the migrated module's lock is certified (the walk's wait times out), and a fix that changes
nothing fails its certificate. The finding's window names the walk (`check`, with a call in it to
hold: exposed under the GIL) and the change (`act`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding

from .conftest import FIXTURES, REPO


@pytest.fixture(scope="module")
def metrics(tmp_path_factory) -> Path:
    """The legacy module in a `cortex` package with the helpers the migrated one imports."""
    root = tmp_path_factory.mktemp("confirm_walk") / "cortex"
    root.mkdir()
    (root / "__init__.py").write_text("")
    shutil.copytree(REPO / "cortex" / "utils", root / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "run_metrics.py"
    shutil.copy(FIXTURES / "cortex_legacy" / "cortex" / "run_metrics.py", path)
    return path


def _confirmation(path: Path, runs: int):
    [finding] = [f for f in lint_source(path.read_bytes(), str(path), Config(unsafe_fixes=True)).findings if f.code == "CRL405"]
    return confirm_finding(finding, path.read_bytes(), runs=runs)


def test_the_walk_is_confirmed_every_run_and_the_migrated_lock_certified(metrics):
    confirmation = _confirmation(metrics, runs=2)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.raced_runs == 2 and confirmation.finding.window.exposure.value == "gil"
    assert "RunMetrics._write() against RunMetrics.record(" in confirmation.reason
    assert "`runs` changed while a walk over it was held" in confirmation.reason
    ok, message = certify_fix(confirmation, (REPO / "cortex" / "run_metrics.py").read_text(), runs=2)
    assert ok, message


def test_a_fix_that_changes_nothing_fails_the_walk_certificate(metrics):
    confirmation = _confirmation(metrics, runs=1)
    ok, message = certify_fix(confirmation, metrics.read_text(), runs=1)
    assert not ok and "certificate failed" in message
