"""Baseline and `--add-noqa` on the legacy Cortex tree (issue 17's "done when")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cortex_racelint.adoption import baseline
from cortex_racelint.adoption.add_noqa import add_noqa_to_file, add_noqa_to_source
from cortex_racelint.api import run_files
from cortex_racelint.config import load_config
from cortex_racelint.engine.discovery import discover
from cortex_racelint.ftypes import Finding

LEGACY = Path(__file__).resolve().parent.parent / "fixtures" / "cortex_legacy"

NEW_RACE = '''

_extra_registry = None


def get_extra_registry():
    global _extra_registry
    if _extra_registry is None:
        _extra_registry = ExtraRegistry()
    return _extra_registry


class ExtraRegistry:
    pass
'''


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    target = tmp_path / "legacy"
    shutil.copytree(LEGACY, target)
    return target


def lint(root: Path) -> list[Finding]:
    config = load_config(root)
    files = list(discover([str(root)], root=root))
    results = run_files(files, config, False, 1, None)
    return sorted((f for r in results for f in r.findings), key=Finding.sort_key)


def relative(root: Path):
    return lambda path: Path(path).resolve().relative_to(root.resolve()).as_posix()


def test_baseline_written_then_checked_passes(tree: Path) -> None:
    findings = lint(tree)
    assert len(findings) > 20
    path = tree / "racelint-baseline.json"
    count = baseline.write(str(path), findings, relative(tree))
    assert count == len(findings)
    data = json.loads(path.read_text())
    assert data["racelint-baseline"] == 1
    assert all("line" in e and "fingerprint" in e for e in data["findings"])
    result = baseline.compare(lint(tree), baseline.read(str(path)), relative(tree))
    assert result.new == []
    assert len(result.baselined) == len(findings)
    assert result.stale == []


def test_blank_lines_above_old_findings_do_not_resurrect_them(tree: Path) -> None:
    path = tree / "b.json"
    baseline.write(str(path), lint(tree), relative(tree))
    target = tree / "cortex" / "transaction_history.py"
    target.write_text("\n\n\n# a comment\n\n" + target.read_text())
    result = baseline.compare(lint(tree), baseline.read(str(path)), relative(tree))
    assert result.new == [] and result.stale == []


def test_a_new_race_elsewhere_in_a_baselined_file_is_the_only_finding(tree: Path) -> None:
    path = tree / "b.json"
    baseline.write(str(path), lint(tree), relative(tree))
    target = tree / "cortex" / "transaction_history.py"
    target.write_text(target.read_text() + NEW_RACE)
    result = baseline.compare(lint(tree), baseline.read(str(path)), relative(tree))
    assert [(Path(f.path).name, f.code) for f in result.new] == [("transaction_history.py", "CRL101")]
    assert "_extra_registry" in result.new[0].message
    assert result.stale == []


def test_a_fixed_finding_leaves_a_stale_entry(tree: Path) -> None:
    path = tree / "b.json"
    before = lint(tree)
    baseline.write(str(path), before, relative(tree))
    target = tree / "cortex" / "transaction_history.py"
    source = target.read_text()
    # suppressing one finding stands for fixing it: the entry no longer matches anything
    victim = next(f for f in before if f.path.endswith("transaction_history.py") and f.code == "CRL101")
    lines = source.splitlines(keepends=True)
    lines[victim.line - 1] = lines[victim.line - 1].rstrip("\n") + "  # noqa: CRL101\n"
    target.write_text("".join(lines))
    result = baseline.compare(lint(tree), baseline.read(str(path)), relative(tree), linted_paths=[str(target)])
    assert result.new == []
    assert [(e.code, e.line) for e in result.stale] == [("CRL101", victim.line)]


def test_entries_of_files_not_linted_are_not_stale(tree: Path) -> None:
    path = tree / "b.json"
    baseline.write(str(path), lint(tree), relative(tree))
    one = tree / "cortex" / "semantic_cache.py"
    config = load_config(tree)
    findings = [f for r in run_files([str(one)], config, False, 1, None) for f in r.findings]
    result = baseline.compare(findings, baseline.read(str(path)), relative(tree), linted_paths=[str(one)])
    assert result.new == [] and result.stale == [] and len(result.baselined) == len(findings) > 0


def test_an_edited_flagged_line_is_new_again(tree: Path) -> None:
    path = tree / "b.json"
    before = lint(tree)
    baseline.write(str(path), before, relative(tree))
    victim = next(f for f in before if f.code == "CRL101")
    target = Path(victim.path)
    lines = target.read_text().splitlines(keepends=True)
    lines[victim.line - 1] = lines[victim.line - 1].replace(" is None", " is None  ", 1).replace("None  :", "None:")
    lines[victim.line - 1] = lines[victim.line - 1].replace("if ", "if (", 1).replace(":\n", "):\n", 1)
    target.write_text("".join(lines))
    result = baseline.compare(lint(tree), baseline.read(str(path)), relative(tree))
    assert [(f.code, f.line) for f in result.new] == [("CRL101", victim.line)]
    assert len(result.stale) == 1


@pytest.mark.parametrize(
    "content, message",
    [("{}", "not a racelint baseline"), ("not json", "cannot read baseline"), ('{"racelint-baseline": 9, "findings": []}', "not supported")],
)
def test_bad_baseline_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(baseline.BaselineError, match=message):
        baseline.read(str(path))
    with pytest.raises(baseline.BaselineError, match="does not exist"):
        baseline.read(str(tmp_path / "missing.json"))


# ----------------------------------------------------------------------------- --add-noqa


def test_add_noqa_silences_every_finding_and_keeps_comments(tree: Path) -> None:
    before = lint(tree)
    by_path: dict[str, list[Finding]] = {}
    for finding in before:
        by_path.setdefault(finding.path, []).append(finding)
    added = 0
    for path, findings in by_path.items():
        result = add_noqa_to_file(path, findings)
        assert result.error is None and result.refused == []
        added += result.added
    assert added == len({(f.path, f.line) for f in before})
    assert lint(tree) == []
    # idempotent: a second pass changes nothing
    for path, findings in by_path.items():
        assert add_noqa_to_file(path, findings).added == 0


def _finding(code: str, line: int) -> Finding:
    from cortex_racelint.ftypes import Position, Span

    return Finding(code, "m", "x.py", Span(Position(line, 0), Position(line, 1)))


@pytest.mark.parametrize(
    "line, codes, expected",
    [
        ("x = 1\n", ["CRL101"], "x = 1  # noqa: CRL101\n"),
        ("x = 1  # keep me\n", ["CRL101"], "x = 1  # keep me  # noqa: CRL101\n"),
        ("x = 1  # noqa: E501\n", ["CRL101"], "x = 1  # noqa: E501, CRL101\n"),
        ("x = 1  # noqa: E501 trailing words\n", ["CRL401"], "x = 1  # noqa: E501, CRL401 trailing words\n"),
        ("x = 1  # noqa: CRL101\n", ["CRL101"], None),
        ("x = 1  # noqa\n", ["CRL101"], None),
        ("x = 1\r\n", ["CRL101", "CRL401"], "x = 1  # noqa: CRL101, CRL401\r\n"),
    ],
)
def test_add_noqa_line_forms(line: str, codes: list[str], expected) -> None:
    raw = line.encode()
    result = add_noqa_to_source(raw, [_finding(c, 1) for c in codes])
    assert (result.new_source.decode() if result.new_source is not None else None) == expected


def test_add_noqa_refuses_lines_that_cannot_carry_a_comment() -> None:
    raw = b'x = """a\nb""" ; y = 1\nz = 1 + \\\n    2\n'
    result = add_noqa_to_source(raw, [_finding("CRL301", 1), _finding("CRL301", 3)])
    assert result.new_source is None
    assert [line for line, _ in result.refused] == [1, 3]


def test_add_noqa_keeps_bom_and_cr_only_newlines() -> None:
    raw = b"\xef\xbb\xbfx = 1\ry = 2\r"
    result = add_noqa_to_source(raw, [_finding("CRL101", 2)])
    assert result.new_source == b"\xef\xbb\xbfx = 1\ry = 2  # noqa: CRL101\r"


# ----------------------------------------------------------------------------- the command line


def _cli(tree: Path, *argv: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    from cortex_racelint.cli import main

    capsys.readouterr()
    code = main(["check", "--no-cache", "--jobs", "1", *argv, str(tree)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_baseline_round_trip(tree: Path, capsys: pytest.CaptureFixture) -> None:
    file = str(tree / "racelint-baseline.json")
    code, _, err = _cli(tree, "--write-baseline", file, capsys=capsys)
    assert code == 0 and "Wrote" in err
    code, out, err = _cli(tree, "--baseline", file, capsys=capsys)
    assert code == 0, out
    assert "All checks passed!" in out and "not reported" in err

    target = tree / "cortex" / "transaction_history.py"
    target.write_text("\n\n\n" + target.read_text() + NEW_RACE)
    code, out, _ = _cli(tree, "--baseline", file, "--format", "json", capsys=capsys)
    assert code == 1
    reported = json.loads(out)
    assert [(Path(item["filename"]).name, item["code"]) for item in reported] == [("transaction_history.py", "CRL101")]
    code, out, _ = _cli(tree, "--baseline", file, "--format", "sarif", capsys=capsys)
    results = json.loads(out)["runs"][0]["results"]
    assert [r["baselineState"] for r in results] == ["new"]


def test_cli_baseline_errors_and_clashes(tree: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = _cli(tree, "--baseline", str(tree / "nope.json"), capsys=capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = _cli(tree, "--add-noqa", "--fix", capsys=capsys)
    assert code == 2 and "cannot be combined" in err


def test_cli_add_noqa_then_check_passes(tree: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = _cli(tree, "--add-noqa", capsys=capsys)
    assert code == 0 and "Added" in err
    code, out, _ = _cli(tree, capsys=capsys)
    assert code == 0 and "All checks passed!" in out
