"""`[tool.racelint]`: applied when valid, one clear error line (exit 2) when not."""

from __future__ import annotations

import shutil

import pytest

from .conftest import FIXTURES

RACY = FIXTURES / "singletons" / "global_is_none.py"


def project(tmp_path, table: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.racelint]\n{table}\n")
    (tmp_path / "pkg").mkdir()
    shutil.copy(RACY, tmp_path / "pkg" / "racy.py")
    return tmp_path


@pytest.mark.parametrize(
    "table,needle",
    [
        ('selct = ["CRL1"]', "unknown key `selct`"),
        ('select = "CRL1"', "`select` must be a list"),
        ('select = ["CRL9"]', "unknown rule code or prefix 'CRL9'"),
        ("unsafe-fixes = 1", "`unsafe-fixes` must be true or false"),
        ('file-write-fix = "fast"', "`file-write-fix` must be one of"),
        ('per-file-ignores = { "x.py" = ["NOPE1"] }', "unknown rule code"),
        ("select = [", "malformed TOML"),
    ],
)
def test_bad_config_is_one_line_exit_2(run_cli, tmp_path, table, needle):
    root = project(tmp_path, table)
    result = run_cli("check", "pkg", cwd=root)
    assert result.code == 2
    assert needle in result.err
    assert "pyproject.toml" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_ignore_from_config(run_cli, tmp_path):
    root = project(tmp_path, 'ignore = ["CRL101"]')
    assert run_cli("check", "pkg", cwd=root).code == 0


def test_per_file_ignores(run_cli, tmp_path):
    root = project(tmp_path, '[tool.racelint.per-file-ignores]\n"pkg/racy.py" = ["CRL1"]')
    assert run_cli("check", "pkg", cwd=root).code == 0


def test_exclude(run_cli, tmp_path):
    root = project(tmp_path, 'exclude = ["pkg/**"]')
    assert "All checks passed" in run_cli("check", ".", cwd=root).out


def test_config_found_from_a_subfolder(run_cli, tmp_path):
    root = project(tmp_path, 'ignore = ["CRL1"]')
    assert run_cli("check", "racy.py", cwd=root / "pkg").code == 0


def test_unsafe_fixes_from_config(run_cli, tmp_path):
    root = project(tmp_path, "unsafe-fixes = true")
    shutil.copy(FIXTURES / "singletons" / "per_call_lock.py", root / "pkg" / "p.py")
    assert run_cli("--fix", "pkg", cwd=root).code == 0
