"""`flake8 --select CRL` reports exactly the CLI's findings (codes, lines, columns)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys


from .conftest import FIXTURES, fixture_inputs

CASES = [p for folder in ("singletons",) for p in fixture_inputs(folder)] + sorted(
    (FIXTURES / "cortex_legacy").rglob("*.py")
)


def flake8(paths) -> set[tuple[str, int, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CRL", "--format", "%(path)s|%(row)d|%(col)d|%(code)s", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    rows = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.split("|")
        rows.add((path, int(row), int(col), code))
    return rows


def cli(paths) -> set[tuple[str, int, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", "--select", "ALL", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
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
    assert from_flake8 == cli(paths)


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
