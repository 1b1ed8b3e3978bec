"""Fixture pairs: `fixtures/<family>/<case>.py` and its expected `<case>.fixed.py`.

Expected findings are annotated in the input with `# expect: CODE` on the line that
causes them; the fixed file must be exactly what `--fix --unsafe-fixes` writes.
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

from .conftest import reported_sites, FIXTURES, expected_findings, fixture_inputs, in_this_repo

#: every fixtures/ folder of annotated cases (the Cortex trees and runtime modules have their own tests)
FAMILIES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("cortex_legacy", "runtime"))
CASES = [pytest.param(path, id=f"{path.parent.name}/{path.name}") for family in FAMILIES for path in fixture_inputs(family)]
UNSAFE = in_this_repo(Config(unsafe_fixes=True, extend_select=("CRL107", "CRL403")))  # the fixes of harmless races too


@pytest.mark.parametrize("path", CASES)
def test_findings_match_annotations(path):
    result = lint_source(path.read_bytes(), str(path), UNSAFE)
    assert result.error is None
    assert reported_sites(result.findings) == expected_findings(path)  # a race's other sites count too


@pytest.mark.parametrize("path", CASES)
def test_fix_produces_expected_file(path):
    expected_path = path.with_name(path.stem + ".fixed.py")
    result = fix_source(path.read_bytes(), str(path), UNSAFE)
    assert result.fix_error is None
    if not expected_findings(path):
        assert result.new_source is None and not expected_path.exists()
        return
    if _report_only(path):  # every finding says why it has no fix: nothing is written, no `.fixed.py`
        assert result.new_source is None and not expected_path.exists()
        return
    assert result.new_source == expected_path.read_bytes()


def _report_only(path) -> bool:
    findings = lint_source(path.read_bytes(), str(path), UNSAFE).findings
    return bool(findings) and all(f.fix_applicability is None and f.no_fix_reason for f in findings)


@pytest.mark.parametrize("path", [c for c in CASES if expected_findings(c.values[0]) and not _report_only(c.values[0])])
def test_fixed_file_parses_compiles_is_clean_and_idempotent(path):
    fixed = path.with_name(path.stem + ".fixed.py").read_bytes()
    compile(fixed, str(path), "exec")
    assert lint_source(fixed, str(path), UNSAFE).findings == []
    assert fix_source(fixed, str(path), UNSAFE).new_source is None


@pytest.mark.parametrize("path", CASES)
def test_every_comment_survives_the_fix(path):
    import io
    import tokenize

    def comments(data: bytes) -> list[str]:
        return [t.string for t in tokenize.tokenize(io.BytesIO(data).readline) if t.type == tokenize.COMMENT]

    result = fix_source(path.read_bytes(), str(path), UNSAFE)
    if result.new_source is not None:
        assert comments(result.new_source) == comments(path.read_bytes())
