"""The command line: verbs, exit codes 0/1/2, every output format, stdin, --diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import FIXTURES

RACY = FIXTURES / "singletons" / "global_is_none.py"
SAFE = FIXTURES / "singletons" / "already_safe.py"


@pytest.fixture
def tree(tmp_path):
    shutil.copy(RACY, tmp_path / "racy.py")
    shutil.copy(SAFE, tmp_path / "safe.py")
    return tmp_path


def test_clean_file_exits_0(run_cli, tree):
    result = run_cli("check", "safe.py", cwd=tree)
    assert result.code == 0
    assert "All checks passed" in result.out


def test_findings_exit_1_and_are_listed(run_cli, tree):
    result = run_cli("check", ".", cwd=tree)
    assert result.code == 1
    assert "racy.py:23:5: CRL101 [*]" in result.out
    assert "1 fixable with the `--fix` option" in result.out


def test_default_verb_and_exit_zero(run_cli, tree):
    assert run_cli("racy.py", "--exit-zero", cwd=tree).code == 0


def test_fix_rewrites_then_exits_0(run_cli, tree):
    result = run_cli("--fix", ".", cwd=tree)
    assert result.code == 0
    assert "_history_lock = threading.Lock()" in (tree / "racy.py").read_text()
    assert run_cli("check", ".", cwd=tree).code == 0


def test_diff_writes_nothing_and_exits_1(run_cli, tree):
    before = (tree / "racy.py").read_bytes()
    result = run_cli("check", "--diff", "racy.py", cwd=tree)
    assert result.code == 1
    assert "+                _history_instance = TransactionHistory()" in result.out
    assert (tree / "racy.py").read_bytes() == before


def test_unparsable_file_is_one_clear_line_and_exit_2(run_cli, tree):
    (tree / "broken.py").write_text("_x = None\ndef get():\n    global _x\n    if _x is None\n        _x = 1\n")
    result = run_cli("check", ".", cwd=tree)
    assert result.code == 2
    line = [l for l in result.out.splitlines() if "broken.py" in l]
    assert len(line) == 1 and "cannot parse" in line[0] and "broken.py:4:" in line[0]
    assert "racy.py:23:5: CRL101" in result.out  # the run continued
    assert "Traceback" not in result.out + result.err


def test_unparsable_file_is_never_rewritten(run_cli, tree):
    broken = tree / "broken.py"
    broken.write_text("_x = None\ndef get(:\n    global _x\n")
    before = broken.read_bytes()
    assert run_cli("--fix", ".", cwd=tree).code == 2
    assert broken.read_bytes() == before


def test_missing_path_exit_2(run_cli, tree):
    result = run_cli("check", "nope.py", cwd=tree)
    assert result.code == 2


def test_unknown_code_is_a_usage_error(run_cli, tree):
    result = run_cli("check", "--select", "CRL999", ".", cwd=tree)
    assert result.code == 2
    assert "unknown rule code" in result.err and "Traceback" not in result.err


def test_select_and_ignore(run_cli, tree):
    assert run_cli("check", "--select", "CRL106", ".", cwd=tree).code == 0
    assert run_cli("check", "--ignore", "CRL101", ".", cwd=tree).code == 0
    # the more specific selector wins, as in Ruff
    assert run_cli("check", "--ignore", "CRL1", "--extend-select", "CRL101", ".", cwd=tree).code == 1
    assert run_cli("check", "--extend-select", "CRL1", "--ignore", "CRL101", ".", cwd=tree).code == 0


def test_json_format_is_ruff_shaped(run_cli, tree):
    result = run_cli("check", "--format", "json", ".", cwd=tree)
    items = json.loads(result.out)
    assert result.code == 1
    (item,) = items
    assert item["code"] == "CRL101"
    assert item["location"] == {"row": 23, "column": 5}
    assert item["end_location"] == {"row": 23, "column": 33}
    assert item["filename"].endswith("racy.py")
    assert item["fix"]["applicability"] == "safe"
    assert item["race_window"]["hold_call"] == "TransactionHistory"


def test_sarif_has_the_2_1_0_shape(run_cli, tree):
    result = run_cli("check", "--format", "sarif", ".", cwd=tree)
    doc = json.loads(result.out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "racelint"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == ["CRL101"]
    (res,) = run["results"]
    assert res["ruleId"] == "CRL101" and rule_ids[res["ruleIndex"]] == "CRL101"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 23 and region["startColumn"] == 5
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("racy.py")
    assert [r["message"]["text"] for r in res["relatedLocations"]] == ["race window: check", "race window: act"]
    assert res["properties"]["gilExposure"] == "gil"


def test_github_and_junit_formats(run_cli, tree):
    github = run_cli("check", "--format", "github", ".", cwd=tree)
    assert github.out.startswith("::error title=racelint (CRL101),file=")
    assert ",line=23,col=5," in github.out
    junit = run_cli("check", "--format", "junit", ".", cwd=tree)
    import xml.etree.ElementTree as ET

    root = ET.fromstring(junit.out)
    assert root.find("testsuite").get("failures") == "1"


def test_full_format_shows_source_and_help(run_cli, tree):
    result = run_cli("check", "--format", "full", "racy.py", cwd=tree)
    assert "if _history_instance is None:" in result.out
    assert "= help (fix):" in result.out and "race window" in result.out


def test_statistics(run_cli, tree):
    result = run_cli("check", "--statistics", ".", cwd=tree)
    assert result.out.split() == ["1", "CRL101", "[*]", "unguarded-lazy-global"]


def test_unsafe_fixes_are_hidden_unless_asked(run_cli, tmp_path):
    shutil.copy(FIXTURES / "singletons" / "per_call_lock.py", tmp_path / "p.py")
    result = run_cli("--fix", "p.py", cwd=tmp_path)
    assert result.code == 1
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in result.out
    assert run_cli("--fix", "--unsafe-fixes", "p.py", cwd=tmp_path).code == 0


def test_show_fixes(run_cli, tree):
    result = run_cli("--fix", "--show-fixes", "racy.py", cwd=tree)
    assert "Fixed 1 finding" in result.out and "racy.py: 1 fixed" in result.out


def test_rule_and_rules_verbs(run_cli):
    doc = run_cli("rule", "CRL101")
    assert doc.code == 0
    for section in ("## What it does", "## Why is this bad?", "## Free-threading impact", "## Example", "## Fix safety"):
        assert section in doc.out
    assert "_history_lock = threading.Lock()" in doc.out  # "Use instead" is the real fixer's output
    catalog = run_cli("rules")
    assert "CRL101" in catalog.out and "CRL106" in catalog.out
    assert run_cli("rule", "CRL999").code == 2


def test_stdin_check_and_fix():
    source = RACY.read_bytes()
    check = subprocess.run([sys.executable, "-m", "cortex_racelint", "check", "-"], input=source, capture_output=True)
    assert check.returncode == 1 and b"-:23:5: CRL101" in check.stdout
    fixed = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "--fix", "-", "--stdin-filename", "x.py"], input=source, capture_output=True
    )
    assert fixed.returncode == 0
    assert b"_history_lock = threading.Lock()" in fixed.stdout


def test_parallel_output_order_is_deterministic(run_cli, tmp_path):
    for i in range(24):
        shutil.copy(RACY, tmp_path / f"m{i:02d}.py")
    one = run_cli("check", "--jobs", "1", ".", cwd=tmp_path).out
    two = run_cli("check", "--jobs", "2", ".", cwd=tmp_path).out
    assert one == two and one.count("CRL101") == 24


def test_a_fix_needing_a_missing_pool_module_is_an_error_and_not_written(run_cli, tmp_path):
    shutil.copy(FIXTURES / "sqlite" / "assign_close.py", tmp_path / "store.py")
    before = (tmp_path / "store.py").read_bytes()
    result = run_cli("--fix", "--unsafe-fixes", "store.py", cwd=tmp_path)
    assert result.code == 2
    assert "error: CRL201 fix not written: the pooled connection imports `get_connection_pool` from " in result.out
    assert (tmp_path / "store.py").read_bytes() == before
