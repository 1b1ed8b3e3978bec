"""The prefilter never drops a true finding: same findings with and without it."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.registry import all_rules

from .conftest import FIXTURES

FILES = sorted(p for p in FIXTURES.rglob("*.py"))
EVERYTHING = Config(select=("ALL",))


def findings(path, use_prefilter):
    result = lint_source(path.read_bytes(), str(path), EVERYTHING, use_prefilter=use_prefilter)
    return [(f.code, f.line, f.column, f.message) for f in result.findings], result.error


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_prefilter_keeps_every_finding(path):
    assert findings(path, True) == findings(path, False)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.CODE)
def test_prefilter_keeps_every_rule_example(rule):
    for example in rule.INVALID:
        with_filter = lint_source(example.source, "x.py", EVERYTHING).findings
        without = lint_source(example.source, "x.py", EVERYTHING, use_prefilter=False).findings
        assert with_filter == without


def test_prefilter_skips_files_without_evidence(monkeypatch):
    from cortex_racelint import engine

    parsed = []
    monkeypatch.setattr(engine, "parse", lambda raw: parsed.append(raw) or (_ for _ in ()).throw(AssertionError))
    assert lint_source(b"def add(a, b):\n    return a + b\n", "x.py").findings == []
    assert parsed == []
