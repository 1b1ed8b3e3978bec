"""`confirm` and `--certify` on frontrun's DPOR (issue 19): deterministic proofs, certificates, deadlocks refused.

The legacy Cortex tree's races are confirmed by exploring their models, the same counterexample every time
(on this GIL build); the migrated `cortex/` text of the same modules certifies. A fix whose lock is taken
again by its holder (recursion, a caller holding it, a subclass calling back) is refused with frontrun's
lock cycle. Without frontrun, both verbs stop with the install hint instead of a verdict.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding
from cortex_racelint.confirm.cli import main as confirm_main

from .conftest import FIXTURES, REPO

LEGACY = FIXTURES / "cortex_legacy" / "cortex"
#: one finding per frontrun family: (module, code, line)
LEGACY_CASES = [
    pytest.param("hardware_detection.py", "CRL101", 171, id="CRL101-lazy-global"),
    pytest.param("semantic_cache.py", "CRL105", 138, id="CRL105-keyed-cache"),
    pytest.param("parallel_llm.py", "CRL402", 82, id="CRL402-lost-update"),
    pytest.param("parallel_llm.py", "CRL401", 87, id="CRL401-unordered-read"),
    pytest.param("kernel_features/accelerator_limits.py", "CRL202", 75, id="CRL202-shared-connection"),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The legacy package plus the helpers the migrated modules import (as after `racelint scaffold`)."""
    root = tmp_path_factory.mktemp("dpor") / "cortex"
    shutil.copytree(LEGACY, root)
    shutil.copytree(REPO / "cortex" / "utils", root / "utils", dirs_exist_ok=True)
    return root


def finding_at(path: Path, code: str, line: int):
    return next(f for f in lint_source(path.read_bytes(), str(path), Config()).findings if f.code == code and f.line == line)


@pytest.mark.parametrize("relative,code,line", LEGACY_CASES)
def test_legacy_race_is_confirmed_deterministically_and_the_migrated_fix_certified(tree, relative, code, line):
    path = tree / relative
    finding = finding_at(path, code, line)
    first = confirm_finding(finding, path.read_bytes())
    again = confirm_finding(finding, path.read_bytes())
    assert first.status is Status.CONFIRMED, first.reason
    assert first.engine == "frontrun" and "frontrun found it after" in first.reason
    # DPOR's search is deterministic: the same schedule, found after the same number of interleavings
    assert again.exploration.counterexample == first.exploration.counterexample
    assert again.exploration.explored == first.exploration.explored
    ok, message = certify_fix(first, (REPO / "cortex" / relative).read_text())
    assert ok, message
    # every interleaving up to bound 2, or the schedules sampled when a heavy constructor ends the budget first
    assert message.startswith("certified: no race and no deadlock in ")


def test_no_legacy_finding_frontrun_can_model_is_not_runnable_for_lack_of_a_model(tree):
    """CRL202 included: what stays not runnable is code the neutral arguments cannot build or reach."""
    path = tree / "kernel_features" / "accelerator_limits.py"
    confirmations = [confirm_finding(f, path.read_bytes()) for f in lint_source(path.read_bytes(), str(path), Config()).findings
                     if f.code == "CRL202"]
    assert len(confirmations) == 7
    assert all(c.status is not Status.NOT_RUNNABLE for c in confirmations), [c.reason for c in confirmations]
    confirmed = [c for c in confirmations if c.status is Status.CONFIRMED]
    assert len(confirmed) == 6  # close() only makes the writer it races fail
    writers = [c for c in confirmed if "committed by the other thread" in c.reason]
    readers = [c for c in confirmed if "read the other thread's uncommitted INSERT" in c.reason]
    assert len(writers) == 3 and len(readers) == 3
    assert all("against `AcceleratorLimitsManager.save_profile()`" in c.reason for c in readers)


TREE = '''"""Tree nodes built once per name, recursively (a keyed lazy cache that recurses into itself)."""

TREE = {"root": ["a", "b"], "a": [], "b": []}
_nodes: dict = {}


class Node:
    def __init__(self, name: str, children: list) -> None:
        self.name = name
        self.children = children


def build(name: str = "root") -> Node:
    if name not in _nodes:
        _nodes[name] = Node(name, [build(child) for child in TREE[name]])
    return _nodes[name]
'''

HELD_BY_CALLER = '''import threading

_config_lock = threading.Lock()
_config = None


class Config:
    level = 1


def get_config() -> Config:
    global _config
    if _config is None:
        _config = Config()
    return _config


def bump_level() -> int:
    with _config_lock:
        config = get_config()
        config.level += 1
        return config.level
'''

#: the fix a careless hand would write: the callers' plain lock reused inside the accessor
HELD_BY_CALLER_FIX = HELD_BY_CALLER.replace(
    "    if _config is None:\n        _config = Config()\n",
    "    if _config is None:\n        with _config_lock:\n            if _config is None:\n                _config = Config()\n",
)


def _package(tmp_path: Path, name: str, text: str) -> Path:
    package = tmp_path / "deadlocks"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    path = package / f"{name}.py"
    path.write_text(text)
    return path


def test_a_memoised_recursion_fixed_with_a_plain_lock_is_refused_with_the_cycle(tmp_path):
    path = _package(tmp_path, "tree", TREE)
    (finding,) = lint_source(path.read_bytes(), str(path), Config()).findings
    confirmation = confirm_finding(finding, path.read_bytes())
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    fixed = fix_source(path.read_bytes(), str(path), Config()).new_source.decode()
    assert "threading.RLock()" in fixed  # racelint's own fix is reentrant ...
    ok, message = certify_fix(confirmation, fixed)
    assert ok, message
    ok, message = certify_fix(confirmation, fixed.replace("threading.RLock()", "threading.Lock()"))
    assert not ok  # ... and the plain-Lock one deadlocks on the recursion
    assert "the fixed code deadlocks" in message and "thread 0 -> lock" in message and "-> thread 0" in message


def test_a_fix_taking_the_lock_its_caller_holds_is_refused_with_the_cycle(tmp_path):
    path = _package(tmp_path, "held", HELD_BY_CALLER)
    finding = next(f for f in lint_source(path.read_bytes(), str(path), Config()).findings if f.code == "CRL101")
    confirmation = confirm_finding(finding, path.read_bytes())
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.spec.caller == "bump_level"
    ok, message = certify_fix(confirmation, HELD_BY_CALLER_FIX)
    assert not ok
    assert "deadlocks (with its caller `bump_level()`)" in message and "-> lock" in message


def test_certify_flag_never_writes_a_deadlocking_fix(run_cli, tmp_path, monkeypatch):
    """End to end: the fix loop's text is replaced by the plain-Lock one; --certify refuses to write it."""
    import cortex_racelint.engine.fixer as fixer

    path = _package(tmp_path, "tree", TREE)
    real = fixer.fix_source

    def plain_lock_fix(*args, **kwargs):
        result = real(*args, **kwargs)
        if result.new_source is not None:
            result.new_source = result.new_source.replace(b"threading.RLock()", b"threading.Lock()")
        return result

    monkeypatch.setattr(fixer, "fix_source", plain_lock_fix)
    result = run_cli("check", "--fix", "--certify", str(path))
    assert result.code == 2
    assert "the fixed code deadlocks" in result.err and "-> lock" in result.err
    assert path.read_text() == TREE


def test_without_frontrun_confirm_and_certify_say_how_to_install_it(run_cli, tmp_path, monkeypatch, capsys):
    path = _package(tmp_path, "tree", TREE)

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert confirm_main([str(path)]) == 2
    assert "install cortex-racelint[confirm]" in capsys.readouterr().err
    result = run_cli("check", "--fix", "--certify", str(path))
    assert result.code == 2 and "install cortex-racelint[confirm]" in result.err
    assert path.read_text() == TREE


def test_emitted_test_runs_in_a_clone_and_replays_the_counterexample(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("")
    path = _package(repo, "tree", TREE)
    out = repo / "tests"
    proc = subprocess.run([sys.executable, "-m", "cortex_racelint", "confirm", str(path), "--emit-tests", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (emitted,) = out.iterdir()
    assert str(tmp_path) not in emitted.read_text()  # paths relative to the repository root
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone)
    shutil.rmtree(repo)
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(clone / "tests")]
    racy = subprocess.run(pytest_cmd, capture_output=True, text=True)
    assert racy.returncode == 1, racy.stdout
    assert "the recorded counterexample" in racy.stdout and "frontrun found it after" in racy.stdout
    cloned = clone / "deadlocks" / "tree.py"
    cloned.write_bytes(fix_source(cloned.read_bytes(), str(cloned), Config()).new_source)
    fixed = subprocess.run(pytest_cmd, capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout


CLOCK = '''import threading
import time


class Clock:
    def __init__(self) -> None:
        self.total = 0.0

    def start(self) -> list:
        threads = [threading.Thread(target=self.tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        return threads

    def tick(self) -> None:
        self.total += time.perf_counter()
'''


def test_a_state_that_differs_between_identical_serial_runs_is_left_to_the_barrier(tmp_path):
    """A timestamp makes every interleaving 'non-serial': frontrun's verdict would mean nothing, so no model."""
    path = _package(tmp_path, "clock", CLOCK)
    (finding,) = lint_source(path.read_bytes(), str(path), Config()).findings
    confirmation = confirm_finding(finding, path.read_bytes(), runs=2)
    assert confirmation.engine == "barrier"
    assert confirmation.status is Status.CONFIRMED and "updates of `total` lost" in confirmation.reason
