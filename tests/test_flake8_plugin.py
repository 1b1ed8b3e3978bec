"""`flake8 --select CRL` reports exactly the CLI's findings (codes, lines, columns)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cortex_racelint.registry import all_rules

from .conftest import FIXTURES, fixture_inputs

CASES = [p for folder in ("singletons",) for p in fixture_inputs(folder)] + sorted(
    (FIXTURES / "cortex_legacy").rglob("*.py")
)


def flake8(paths, cwd=None) -> set[tuple[str, int, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CRL", "--format", "%(path)s|%(row)d|%(col)d|%(code)s", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert proc.returncode in (0, 1), proc.stderr
    rows = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.split("|")
        rows.add((path, int(row), int(col), code))
    return rows


def cli(paths, cwd=None, select="ALL") -> set[tuple[str, int, int, str]]:
    selecting = ["--select", select] if select else []
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", *selecting, "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert proc.returncode in (0, 1), proc.stderr
    rows = set()
    for item in json.loads(proc.stdout):
        rows.add((item["filename"], item["location"]["row"], item["location"]["column"], item["code"]))
    return rows


def test_flake8_and_cli_agree_on_every_fixture(tmp_path):
    # copied out of this repository, whose configuration excludes fixtures/ (both adapters honour it)
    paths = []
    for case in CASES:
        copy = tmp_path / case.relative_to(FIXTURES)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(case, copy)
        paths.append(copy)
    from_flake8 = flake8(paths)
    assert from_flake8, "the fixtures must produce findings"
    # flake8 sees one file at a time: the project rules' cross-module findings are the CLI's alone
    # (a race within one module, such as an object handed to threads, both see)
    project = {rule.CODE for rule in all_rules() if rule.PROJECT}
    from_cli = cli(paths)
    assert {f for f in from_flake8 if f[3] not in project} == {f for f in from_cli if f[3] not in project}
    assert {f for f in from_flake8 if f[3] in project} < {f for f in from_cli if f[3] in project}
    assert {finding[3] for finding in from_cli} & project, "the legacy tree's cross-module race is seen by the CLI"


def test_flake8_noqa_is_honoured(tmp_path):
    source = (FIXTURES / "singletons" / "global_is_none.py").read_text()
    target = tmp_path / "m.py"
    target.write_text(source.replace("# expect: CRL101", "# noqa: CRL101"))
    assert flake8([target]) == set()
    target.write_text(source)
    assert {code for *_, code in flake8([target])} == {"CRL101"}


def test_plugin_is_registered():
    proc = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert "cortex-racelint" in proc.stdout


def test_an_opt_in_code_runs_only_when_named_in_full(tmp_path):
    target = tmp_path / "m.py"
    target.write_text("import re\n_p = None\n\n\ndef p():\n    global _p\n    if _p is None:\n        _p = re.compile('x')\n    return _p\n")
    assert flake8([target]) == set()  # `--select CRL` does not enable CRL107, as `select = ["CRL"]` in the CLI
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CRL107", "--format", "%(code)s", str(target)],
        capture_output=True, text=True,
    )
    assert proc.stdout.split() == ["CRL107"]


# --- with configuration (issue 16): flake8 honours [tool.racelint] as the CLI does ---------------

OPT_IN_CRL107 = "import re\n_p = None\n\n\ndef p():\n    global _p\n    if _p is None:\n        _p = re.compile('x')\n    return _p\n"


def configured_project(root):
    """A git work tree whose configuration uses every setting flake8 must honour, with a
    sub-project of its own configuration."""
    files = {
        "pyproject.toml": "[tool.racelint]\n"
        'select = ["CRL1", "CRL2", "CRL3"]\n'
        'ignore = ["CRL302"]\n'
        'extend-select = ["CRL107"]\n'  # an opt-in code, enabled by the configuration
        'exclude = ["generated"]\n'
        'file-write-fix = "atomic"\n'
        '[tool.racelint.per-file-ignores]\n"legacy/*.py" = ["CRL101"]\n',
        ".gitignore": "ignored.py\n",
        "app/singleton.py": FIXTURES / "singletons" / "global_is_none.py",
        "app/db.py": FIXTURES / "sqlite" / "closing.py",
        "app/writes.py": FIXTURES / "file_writes" / "module_globals.py",
        "app/counter.py": FIXTURES / "shared_state" / "executor_counter.py",  # CRL4: not selected here
        "app/pattern.py": OPT_IN_CRL107,
        "app/ignored.py": FIXTURES / "singletons" / "global_is_none.py",
        "legacy/old.py": FIXTURES / "singletons" / "global_is_none.py",
        "generated/gen.py": FIXTURES / "singletons" / "global_is_none.py",
        "service/pyproject.toml": '[tool.racelint]\nselect = ["CRL4"]\n',
        "service/counter.py": FIXTURES / "shared_state" / "executor_counter.py",
        "service/singleton.py": FIXTURES / "singletons" / "global_is_none.py",  # CRL1: not selected here
    }
    (root / ".git").mkdir(parents=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            shutil.copy(content, path)


def relative_rows(rows, root) -> set[tuple[str, int, int, str]]:
    return {(Path(root, path).resolve().relative_to(root.resolve()).as_posix(), *rest) for path, *rest in rows}


def test_flake8_and_cli_agree_with_configuration(tmp_path):
    root = tmp_path / "project"
    configured_project(root)
    from_flake8 = relative_rows(flake8(["."], cwd=root), root)
    from_cli = relative_rows(cli(["."], cwd=root, select=None), root)
    assert from_flake8 == from_cli
    files = {path for path, *_ in from_cli}
    codes = {code for *_, code in from_cli}
    assert files == {"app/singleton.py", "app/db.py", "app/writes.py", "app/pattern.py", "service/counter.py"}
    assert {"CRL101", "CRL107", "CRL201", "CRL301"} <= codes and "CRL302" not in codes
    assert {code for path, *_, code in from_cli if path.startswith("service/")} <= {"CRL401", "CRL402", "CRL403"}
    # flake8 handed the files one by one (as editors and pre-commit do) agrees too
    named = [str(p.relative_to(root)) for p in sorted(root.rglob("*.py"))]
    assert relative_rows(flake8(named, cwd=root), root) == from_cli
