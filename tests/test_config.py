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
        ('event-loop-packages = "scrapy"', "`event-loop-packages` must be a list of package names"),
        ('event-loop-packages = ["my-lib"]', "`event-loop-packages` must be a list of package names"),
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


# --- configuration per file (issue 16), as Ruff resolves it ---------------------------------------


def codes_by_file(result, root) -> set[tuple[str, str]]:
    """(path relative to `root`, code) of every finding in a JSON report."""
    import json
    from pathlib import Path

    return {(Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix(), item["code"]) for item in json.loads(result.out)}


def monorepo(tmp_path):
    """A monorepo: a top configuration, a sub-project with its own, one whose pyproject.toml has no
    [tool.racelint] (skipped: the top one applies), one with a racelint.toml beside a pyproject.toml."""
    root = tmp_path / "mono"
    files = {
        "pyproject.toml": '[tool.racelint]\nignore = ["CRL101"]\n',
        "top/t.py": None,
        "sub/pyproject.toml": '[project]\nname = "sub"\n[tool.racelint]\nselect = ["CRL1"]\n'
        '[tool.racelint.per-file-ignores]\n"gen/*.py" = ["CRL1"]\n',
        "sub/s.py": None,
        "sub/gen/g.py": None,  # ignored by sub's per-file-ignores, relative to sub/
        "plain/pyproject.toml": '[project]\nname = "plain"\n',
        "plain/p.py": None,  # the top configuration applies: CRL101 ignored
        "tool/pyproject.toml": '[tool.racelint]\nignore = ["CRL101"]\n',
        "tool/racelint.toml": 'select = ["CRL1"]\n',  # wins over the pyproject.toml beside it
        "tool/r.py": None,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            shutil.copy(RACY, path)
        else:
            path.write_text(text)
    return root


EXPECTED = {("sub/s.py", "CRL101"), ("tool/r.py", "CRL101")}


def test_each_file_gets_its_nearest_configuration(run_cli, tmp_path):
    root = monorepo(tmp_path)
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=root)
    assert codes_by_file(result, root) == EXPECTED


@pytest.mark.parametrize("order", [("top/t.py", "sub/s.py", "plain/p.py"), ("sub/s.py", "top/t.py", "plain/p.py"), ("plain/p.py", "sub/s.py", "top/t.py")])
def test_argument_order_does_not_change_findings(run_cli, tmp_path, order):
    root = monorepo(tmp_path)
    result = run_cli("check", "--no-cache", "--format", "json", *order, cwd=root)
    assert codes_by_file(result, root) == {("sub/s.py", "CRL101")}


def test_per_file_configuration_from_another_folder(run_cli, tmp_path):
    """Run from outside the monorepo: each file still gets its own configuration."""
    root = monorepo(tmp_path)
    result = run_cli("check", "--no-cache", "--format", "json", "mono/sub", "mono/top", cwd=tmp_path)
    assert codes_by_file(result, root) == {("sub/s.py", "CRL101")}


def test_explicit_config_applies_to_every_file(run_cli, tmp_path):
    root = monorepo(tmp_path)
    (tmp_path / "all.toml").write_text('select = ["CRL1"]\n')
    result = run_cli("check", "--no-cache", "--format", "json", "--config", str(tmp_path / "all.toml"), ".", cwd=root)
    assert codes_by_file(result, root) == {(p, "CRL101") for p in ("top/t.py", "sub/s.py", "sub/gen/g.py", "plain/p.py", "tool/r.py")}


@pytest.mark.parametrize(
    "name,text",
    [("pyproject.toml", '[project]\nname = "x"\n'), ("racelint.toml", ""), ("pyproject.toml", "[tool.racelint]\n"),
     ("other.toml", "[tool.black]\nline-length = 100\n")],
)
def test_explicit_config_without_racelint_settings_is_an_error(run_cli, tmp_path, name, text):
    root = project(tmp_path, "")
    config = tmp_path / "elsewhere" / name
    config.parent.mkdir()
    config.write_text(text)
    result = run_cli("check", "--config", str(config), "pkg", cwd=root)
    assert result.code == 2
    assert "no racelint settings" in result.err and str(config) in result.err


def test_explicit_config_must_exist(run_cli, tmp_path):
    root = project(tmp_path, "")
    result = run_cli("check", "--config", "missing.toml", "pkg", cwd=root)
    assert result.code == 2 and "no such configuration file" in result.err


def test_run_wide_settings_come_from_the_working_folder(run_cli, tmp_path):
    """The cache lives in the working folder's project, not in the first path's."""
    root = monorepo(tmp_path)
    run_cli("check", "sub/s.py", cwd=root)
    assert (root / ".racelint_cache").is_dir()
    assert not (root / "sub" / ".racelint_cache").exists()


def test_a_pyproject_without_a_racelint_table_does_not_stop_the_search(tmp_path):
    from cortex_racelint.config import find_config

    root = monorepo(tmp_path)
    assert find_config(root / "plain" / "p.py") == (root / "pyproject.toml").resolve()
    assert find_config(root / "tool" / "r.py") == (root / "tool" / "racelint.toml").resolve()
    assert find_config(root / "sub" / "gen" / "g.py") == (root / "sub" / "pyproject.toml").resolve()
    (root / "tool" / ".racelint.toml").write_text("")
    assert find_config(root / "tool" / "r.py") == (root / "tool" / ".racelint.toml").resolve()


def test_a_malformed_pyproject_naming_racelint_is_reported_not_skipped(run_cli, tmp_path):
    root = monorepo(tmp_path)
    (root / "sub" / "pyproject.toml").write_text("[tool.racelint\nselect = []\n")
    result = run_cli("check", "sub/s.py", cwd=root)
    assert result.code == 2 and "malformed TOML" in result.err and "sub/pyproject.toml" in result.err


@pytest.mark.parametrize(
    "table,args,found",
    [("", (), False), ("", ("--no-respect-gitignore",), True), ("respect-gitignore = false", (), True),
     ("respect-gitignore = false", ("--respect-gitignore",), False)],
)
def test_respect_gitignore(run_cli, tmp_path, table, args, found):
    root = project(tmp_path, table)
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("pkg/racy.py\n")
    result = run_cli("check", "--no-cache", *args, ".", cwd=root)
    assert (result.code == 1) is found, result.out + result.err


@pytest.mark.parametrize("name,found", [("sub/s.py", True), ("top/t.py", False)])
def test_stdin_filename_gets_that_files_configuration(tmp_path, name, found):
    import subprocess
    import sys

    root = monorepo(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "-", "--stdin-filename", name],
        input=RACY.read_bytes(), capture_output=True, cwd=root,
    )
    assert proc.returncode == (1 if found else 0), proc.stdout + proc.stderr


def test_a_sub_projects_exclude_is_relative_to_its_folder(run_cli, tmp_path):
    root = tmp_path / "mono"
    (root / "sub" / "vendor").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.racelint]\nexclude = ["vendor/**"]\n')  # matches mono/vendor only
    (root / "sub" / "racelint.toml").write_text('exclude = ["vendor/**"]\n')  # matches mono/sub/vendor
    (root / "vendor").mkdir()
    for relative in ("vendor/v.py", "sub/vendor/v.py", "sub/s.py", "other/vendor/o.py"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(RACY, root / relative)
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=root)
    assert {path for path, _ in codes_by_file(result, root)} == {"sub/s.py", "other/vendor/o.py"}
    forced = run_cli("check", "--no-cache", "--format", "json", "--force-exclude", "sub/vendor/v.py", "sub/s.py", cwd=root)
    assert {path for path, _ in codes_by_file(forced, root)} == {"sub/s.py"}


def test_event_loop_packages_from_config(run_cli, tmp_path):
    """A module importing a configured event-loop package runs on its loop's thread (`project/event_loop.py`)."""
    root = project(tmp_path, 'select = ["CRL101"]')
    racy = root / "pkg" / "racy.py"
    racy.write_text(racy.read_text().replace("import logging\n", "import logging\nimport reactorlib\n"))
    result = run_cli("check", "pkg", cwd=root)
    assert result.code == 1 and "CRL101" in result.out
    (root / "pyproject.toml").write_text('[tool.racelint]\nselect = ["CRL101"]\nevent-loop-packages = ["reactorlib"]\n')
    assert run_cli("check", "pkg", cwd=root).code == 0
