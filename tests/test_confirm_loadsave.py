"""`racelint confirm` for CRL304: callers held between their load and their save of one JSON log.

On the racy module every caller loads the same version and all but one save drop the others'
entries, on every run; racelint's fix (one lock from the load through the save) lets one in, the
hold times out, and every save starts from the last. A fix that changes nothing fails its certificate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding

from .conftest import FIXTURES

CONFIG = Config(unsafe_fixes=True)


@pytest.fixture
def log(tmp_path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "cortex_legacy" / "cortex", root / "cortex", ignore=shutil.ignore_patterns("__pycache__"))
    return root / "cortex" / "install_log.py"


def _finding(path: Path):
    (finding,) = [f for f in lint_source(path.read_bytes(), str(path), CONFIG).findings if f.code == "CRL304"]
    return finding


def test_the_lost_entry_is_confirmed_every_run_and_its_fix_certified(log):
    confirmation = confirm_finding(_finding(log), log.read_bytes(), runs=2)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.raced_runs == 2
    assert "saves started from a load another caller's save had replaced" in confirmation.reason
    fixed = fix_source(log.read_bytes(), str(log), CONFIG).new_source
    assert fixed is not None
    ok, message = certify_fix(confirmation, fixed.decode(), runs=2)
    assert ok, message
    assert "every save started from the last saved version (the hold timed out)" in message


def test_a_fix_that_changes_nothing_fails_its_certificate(log):
    confirmation = confirm_finding(_finding(log), log.read_bytes(), runs=1)
    ok, message = certify_fix(confirmation, log.read_text(), runs=1)
    assert not ok and "certificate failed" in message
