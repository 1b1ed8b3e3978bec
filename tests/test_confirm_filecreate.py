"""`racelint confirm` for CRL303: a key file created after its existence check.

Each thread is held just before it creates the file: on the racy module several callers create
it (the later truncates the earlier's key) on every run; racelint's fix lets one in, the hold
times out, and the others find the file. A fix that changes nothing fails its certificate.
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
def keys(tmp_path) -> Path:
    root = tmp_path / "racyshop"
    shutil.copytree(FIXTURES / "runtime" / "racyshop", root)
    return root / "keys.py"


def test_the_racy_create_is_confirmed_every_run_and_its_fix_certified(keys):
    (finding,) = [f for f in lint_source(keys.read_bytes(), str(keys), CONFIG).findings if f.code == "CRL303"]
    confirmation = confirm_finding(finding, keys.read_bytes(), runs=2)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.raced_runs == 2
    assert "callers created `master.key` after its check" in confirmation.reason
    fixed = fix_source(keys.read_bytes(), str(keys), CONFIG).new_source
    assert fixed is not None
    ok, message = certify_fix(confirmation, fixed.decode(), runs=2)
    assert ok, message
    assert "one create of each file (the hold timed out)" in message


def test_a_fix_that_changes_nothing_fails_its_certificate(keys):
    (finding,) = [f for f in lint_source(keys.read_bytes(), str(keys), CONFIG).findings if f.code == "CRL303"]
    confirmation = confirm_finding(finding, keys.read_bytes(), runs=1)
    ok, message = certify_fix(confirmation, keys.read_text(), runs=1)
    assert not ok and "certificate failed" in message


def test_the_migrated_key_store_is_certified_though_its_lock_opens_a_file(tmp_path):
    """The migrated form takes `locked(path)`, which opens `<path>.lock` with `O_CREAT`: a helper's
    file, not a create of the key file (only the function's own creates are held and counted)."""
    from cortex_racelint.confirm.cli import confirm_paths

    from .conftest import REPO

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "cortex_legacy" / "cortex", tree / "cortex")
    shutil.copytree(REPO / "cortex" / "utils", tree / "cortex" / "utils")
    (confirmation,) = confirm_paths([str(tree / "cortex" / "encryption_keys.py")], ("CRL303",), runs=3, threads=8)
    assert confirmation.status is Status.CONFIRMED and confirmation.raced_runs == 3, confirmation.reason
    ok, message = certify_fix(confirmation, (REPO / "cortex" / "encryption_keys.py").read_text(), runs=3)
    assert ok, message
