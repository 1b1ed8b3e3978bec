"""`racelint confirm` and `--certify`: findings proven at runtime, fixes certified."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding
from cortex_racelint.confirm.cli import confirm_paths

from .conftest import FIXTURES


@pytest.fixture
def package(tmp_path):
    shutil.copytree(FIXTURES / "runtime" / "homewriter", tmp_path / "homewriter")
    return tmp_path / "homewriter" / "settings.py"


def findings_of(path):
    return lint_source(path.read_bytes(), str(path), Config()).findings


def test_racy_singleton_is_confirmed_by_dpor_and_fixed_one_certified(package):
    finding = next(f for f in findings_of(package) if f.line == 19)
    confirmation = confirm_finding(finding, package.read_bytes())
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.engine == "frontrun" and "frontrun found it after" in confirmation.reason
    assert confirmation.exploration.counterexample  # the schedule that shows it
    fixed = fix_source(package.read_bytes(), str(package)).new_source.decode()
    ok, message = certify_fix(confirmation, fixed)
    assert ok, message
    assert "no race and no deadlock in every interleaving up to preemption bound 2" in message


def test_a_broken_fix_fails_its_certificate(package):
    finding = next(f for f in findings_of(package) if f.line == 19)
    confirmation = confirm_finding(finding, package.read_bytes(), runs=3)
    fake_fix = package.read_text().replace("# writes", "")  # unchanged: still racy
    ok, message = certify_fix(confirmation, fake_fix, runs=3)
    assert not ok and "certificate failed" in message


def test_required_arguments_make_a_finding_not_runnable(package):
    finding = next(f for f in findings_of(package) if f.line == 26)
    confirmation = confirm_finding(finding, package.read_bytes(), runs=1)
    assert confirmation.status is Status.NOT_RUNNABLE
    assert "needs arguments it cannot build: `make` has no usable type annotation" in confirmation.reason


def test_reproducers_never_touch_the_real_home_or_cwd(package, tmp_path, monkeypatch):
    home = tmp_path / "real-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    finding = next(f for f in findings_of(package) if f.line == 19)
    assert confirm_finding(finding, package.read_bytes(), runs=2).status is Status.CONFIRMED
    assert list(home.iterdir()) == [] and list(work.iterdir()) == []
    assert not (package.parent / "cwd-marker").exists()


def test_every_singleton_finding_of_the_legacy_tree_is_confirmed():
    confirmations = confirm_paths([str(FIXTURES / "cortex_legacy")], ("CRL1",), runs=20, threads=8)
    assert len(confirmations) >= 9
    not_confirmed = [(c.finding.path, c.finding.line, c.reason) for c in confirmations if c.status is not Status.CONFIRMED]
    assert not_confirmed == []
    assert all(c.engine == "frontrun" for c in confirmations)


def test_nothing_is_confirmed_on_the_fixed_tree(tmp_path):
    tree = tmp_path / "cortex_fixed"
    shutil.copytree(FIXTURES / "cortex_legacy", tree)
    for path in tree.rglob("*.py"):
        result = fix_source(path.read_bytes(), str(path), Config(unsafe_fixes=True, select=("CRL1",)))
        if result.new_source is not None:
            path.write_bytes(result.new_source)
    assert confirm_paths([str(tree)], ("CRL1",), runs=2, threads=8) == []


def test_emitted_reproducer_fails_on_racy_code_and_passes_on_fixed(package, tmp_path):
    out = tmp_path / "emitted"
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "confirm", str(package), "--runs", "2", "--emit-tests", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # races confirmed
    assert "confirmed [gil]" in proc.stdout
    (test_file,) = [p for p in out.iterdir() if "get_settings" in p.name]
    racy = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)], capture_output=True, text=True)
    assert racy.returncode == 1, racy.stdout
    package.write_bytes(fix_source(package.read_bytes(), str(package)).new_source)
    fixed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout


def test_certify_flag_writes_certified_fixes(run_cli, package):
    result = run_cli("check", "--fix", "--certify", "--certify-runs", "3", str(package))
    assert "certified: no race and no deadlock in every interleaving up to preemption bound 2" in result.err
    assert "_settings_lock" in package.read_text()


def test_emitted_reproducer_runs_in_another_clone(tmp_path):
    """The emitted test names the package relative to itself: moved with the repository, it still finds it."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "runtime" / "homewriter", repo / "homewriter")
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "confirm", "homewriter/settings.py", "--runs", "2", "--emit-tests", "tests/races"],
        capture_output=True, text=True, cwd=repo,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (test_file,) = [p for p in (repo / "tests" / "races").iterdir() if "get_settings" in p.name]
    assert str(tmp_path) not in test_file.read_text(), "no absolute path of the original clone"
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone)
    shutil.rmtree(repo)
    moved = clone / "tests" / "races" / test_file.name
    racy = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(moved)], capture_output=True, text=True)
    assert racy.returncode == 1 and ("runs raced" in racy.stdout or "frontrun found it" in racy.stdout), racy.stdout
    settings = clone / "homewriter" / "settings.py"
    settings.write_bytes(fix_source(settings.read_bytes(), str(settings)).new_source)
    fixed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(moved)], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout
