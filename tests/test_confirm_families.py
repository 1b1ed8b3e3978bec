"""`racelint confirm` beyond check-then-create: lost updates, shared attributes, file writes, SQLite.

Each small racy module in `fixtures/runtime/racyshop/` must be confirmed on every run,
and its fix (racelint's own, with `--unsafe-fixes`) must pass the same reproducer with
the window proven serialised. A fix that changes nothing must fail its certificate.
The whole legacy-tree acceptance (20/20 everywhere) is long: `-m fuzz`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding
from cortex_racelint.confirm.cli import confirm_paths

from .conftest import FIXTURES, REPO

SHOP = FIXTURES / "runtime" / "racyshop"
#: the `shop` copy has the pool its SQLite fix imports (racyshop/db_pool.py)
FIX_CONFIG = Config(
    unsafe_fixes=True,
    sqlite_pool="racyshop.db_pool:get_connection_pool",
    file_write_fix="lock",
    present_helpers=("racyshop.db_pool",),
)




@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """A copy of the racy package, with the pool helper its SQLite fix imports."""
    root = tmp_path_factory.mktemp("confirm") / "racyshop"
    shutil.copytree(SHOP, root)
    shutil.copy(REPO / "cortex" / "utils" / "db_pool.py", root / "db_pool.py")
    return root


def finding(path: Path, code: str, line: int):
    findings = lint_source(path.read_bytes(), str(path), FIX_CONFIG).findings
    # the race's finding, whether `line` is its first site or one of the others (`related`)
    return next(f for f in findings if f.code == code and line in (f.line, *(s.start.line for s in f.related)))


def fixed_text(path: Path) -> str:
    result = fix_source(path.read_bytes(), str(path), FIX_CONFIG)
    assert result.new_source is not None, result.fix_error
    return result.new_source.decode()


CASES = [
    pytest.param("tally.py", "CRL402", 16, "a lost update", id="CRL402-lost-update"),
    pytest.param("ticker.py", "CRL401", 20, "`Ticker.relabel()` wrote `_label`", id="CRL401-thread-reads"),
    pytest.param("ticker.py", "CRL401", 24, "`Ticker.relabel()` wrote `_label`", id="CRL401-owner-writes"),
    pytest.param("store.py", "CRL301", 12, "writers were inside the write of `store.json` at once", id="CRL301-torn-write"),
    pytest.param("notes.py", "CRL201", 12, "'database is locked'", id="CRL201-locked"),
]


@pytest.mark.parametrize("name,code,line,effect", CASES)
def test_racy_module_is_confirmed_every_run_and_its_fix_certified(shop, name, code, line, effect):
    path = shop / name
    confirmation = confirm_finding(finding(path, code, line), path.read_bytes(), runs=2)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert effect in confirmation.reason
    # frontrun explores once (its counterexample is the proof); the barrier shows the race on every run
    assert confirmation.exploration.holds is False if confirmation.engine == "frontrun" else confirmation.raced_runs == 2
    ok, message = certify_fix(confirmation, fixed_text(path), runs=2)
    assert ok, message


@pytest.mark.parametrize("name,code,line", [("tally.py", "CRL402", 16), ("ticker.py", "CRL401", 20)])
def test_a_fix_that_changes_nothing_fails_its_certificate(shop, name, code, line):
    path = shop / name
    confirmation = confirm_finding(finding(path, code, line), path.read_bytes(), runs=1)
    ok, message = certify_fix(confirmation, path.read_text(), runs=1)
    assert not ok and "certificate failed" in message


def test_a_constructor_argument_it_cannot_build_is_not_runnable(shop):
    path = shop / "limits.py"
    confirmation = confirm_finding(finding(path, "CRL402", 17), path.read_bytes(), runs=1)
    assert confirmation.status is Status.NOT_RUNNABLE
    assert "cannot build a `Notifier`" in confirmation.reason and "on_change" in confirmation.reason


def test_a_window_the_neutral_arguments_never_reach_is_not_runnable(shop):
    path = shop / "limits.py"
    confirmation = confirm_finding(finding(path, "CRL402", 30), path.read_bytes(), runs=3)
    assert confirmation.status is Status.NOT_RUNNABLE
    assert "`Retries._attempt()` with neutral arguments never reached the race" in confirmation.reason
    assert confirmation.exploration.bound == 1  # no execution got there: a higher bound is not tried


def test_a_reproducer_that_hangs_is_not_confirmed_in_bounded_time(shop, tmp_path, monkeypatch):
    import cortex_racelint.confirm.dpor as dpor

    package = tmp_path / "racyshop"
    shutil.copytree(shop, package)
    path = package / "tally.py"
    path.write_text(path.read_text() + "\n\nimport time\n\ntime.sleep(60)  # an import that never ends\n")
    monkeypatch.setattr(dpor, "BUDGET", 1.0)
    monkeypatch.setattr(dpor, "BACKSTOP", 1.0)
    confirmation = confirm_finding(finding(path, "CRL402", 16), path.read_bytes(), runs=1)
    assert confirmation.status is Status.NOT_CONFIRMED
    assert "did not finish within 2s" in confirmation.reason and confirmation.seconds < 10


def test_the_fixed_module_has_no_runnable_race_left(shop, tmp_path):
    fixed = tmp_path / "racyshop"
    shutil.copytree(shop, fixed)
    for path in fixed.glob("*.py"):
        result = fix_source(path.read_bytes(), str(path), FIX_CONFIG)
        if result.new_source is not None and path.name != "limits.py":
            path.write_bytes(result.new_source)
    select = ("CRL201", "CRL301", "CRL401", "CRL402")
    left = [c for c in confirm_paths([str(fixed)], select, runs=1, threads=8) if c.finding.path.endswith(("tally.py", "ticker.py", "store.py", "notes.py"))]
    assert left == []


def test_confirm_json_reports_status_and_exposure_for_every_family(shop):
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "confirm", str(shop / "ticker.py"), str(shop / "notes.py"), "--runs", "1", "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr  # races confirmed
    items = json.loads(proc.stdout)
    assert {i["code"] for i in items} == {"CRL201", "CRL401"}
    assert all(i["status"] == "confirmed" and i["gil_exposure"] in ("gil", "free-threaded-only") for i in items)


def test_emitted_reproducer_of_a_lost_update_fails_then_passes_fixed(shop, tmp_path):
    package = tmp_path / "racyshop"
    shutil.copytree(shop, package)
    out = tmp_path / "emitted"
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "confirm", str(package / "tally.py"), str(package / "limits.py"), "--runs", "1",
         "--emit-tests", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "CRL402 confirmed" in proc.stdout, proc.stdout + proc.stderr
    (test_file,) = out.iterdir()  # nothing for findings that are not runnable
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    racy = subprocess.run(pytest_cmd, capture_output=True, text=True)
    assert racy.returncode == 1 and "lost" in racy.stdout, racy.stdout
    (package / "tally.py").write_text(fixed_text(package / "tally.py"))
    fixed = subprocess.run(pytest_cmd, capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout


# -- the acceptance on the Cortex tree (long) --------------------------------------

@pytest.mark.fuzz
def test_every_runnable_legacy_finding_is_confirmed_and_its_migrated_fix_certified_20_of_20():
    """Confirm on the legacy tree; certify against the migrated tree's text of the same module.

    The certificate runs in a copy of the legacy package plus the helpers the fixes import
    (`cortex/utils/`), as `racelint --fix --unsafe-fixes --certify` would after
    `racelint scaffold`.
    """
    with tempfile.TemporaryDirectory() as temp:
        tree = Path(temp)
        shutil.copytree(FIXTURES / "cortex_legacy" / "cortex", tree / "cortex")
        shutil.copytree(REPO / "cortex" / "utils", tree / "cortex" / "utils")
        confirmations = [c for c in confirm_paths([str(tree / "cortex")], None, runs=20, threads=8)]
        runnable = [c for c in confirmations if c.status is not Status.NOT_RUNNABLE]
        assert len(runnable) >= 60
        # frontrun's counterexample is its proof; the barrier must show the race on every run
        failures = [(c.finding.code, c.finding.line) for c in runnable
                    if ((c.status is not Status.CONFIRMED) if c.engine == "frontrun" else c.raced_runs != 20)]
        # close() on the shared connection makes the writer it races fail: nothing left to interleave
        assert sorted(failures) == [("CRL202", 127)]
        for c in runnable:
            if c.status is not Status.CONFIRMED:
                continue
            relative = Path(c.finding.path).relative_to(tree / "cortex")
            ok, message = certify_fix(c, (REPO / "cortex" / relative).read_text(), runs=20)
            assert ok, f"{relative}:{c.finding.line} {c.finding.code}: {message}"
