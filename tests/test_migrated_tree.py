"""`cortex/` is exactly what `racelint --fix --unsafe-fixes` makes of the legacy tree, and it is clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

from cortex_racelint import Config, lint_source

from .conftest import FIXTURES, REPO

LEGACY = FIXTURES / "cortex_legacy" / "cortex"
MIGRATED = REPO / "cortex"
HAND_WRITTEN = {"utils", "parallel_llm_threaded.py"}


def test_fixing_a_copy_of_the_legacy_tree_reproduces_cortex(tmp_path):
    copy = tmp_path / "cortex"
    shutil.copytree(LEGACY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for helper in ("db-pool", "fileio"):  # the migration adds the helpers its fixes import, then fixes
        scaffold = [sys.executable, "-m", "cortex_racelint", "scaffold", helper, "cortex/utils"]
        assert subprocess.run(scaffold, capture_output=True, cwd=tmp_path).returncode == 0
    helpers = {p.relative_to(copy).as_posix(): p.read_bytes() for p in (copy / "utils").glob("*.py")}
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "--fix", "--unsafe-fixes", "--no-cache", str(copy)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*.py")}
    assert {name: fixed.pop(name) for name in helpers} == helpers, "the fix rewrote a helper"
    committed = {
        p.relative_to(MIGRATED).as_posix(): p.read_bytes()
        for p in MIGRATED.rglob("*.py")
        if p.relative_to(MIGRATED).parts[0] not in HAND_WRITTEN
    }
    assert sorted(fixed) == sorted(committed)
    different = [name for name in fixed if fixed[name] != committed[name]]
    assert different == [], f"cortex/ is not racelint's output for: {different}"
    assert any(fixed[n] != (LEGACY / n).read_bytes() for n in fixed), "the fix changed nothing?"


def test_racelint_reports_nothing_on_the_migrated_tree():
    everything = Config(select=("ALL",))
    for path in sorted(MIGRATED.rglob("*.py")):
        result = lint_source(path.read_bytes(), str(path), everything)
        assert result.error is None
        assert result.findings == [], [(f.code, f.line, f.message) for f in result.findings]
