"""Every rule's own VALID/INVALID examples are its tests (Fixit's model)."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.registry import all_rules, opt_in_codes

from .conftest import in_this_repo

#: the examples' fixes import the helpers at their default place, as in this repository
#: opt-in rules are enabled only by their full code
ALL = in_this_repo(Config(select=("ALL", *sorted(opt_in_codes())), unsafe_fixes=True))

VALID = [pytest.param(rule, ex, id=f"{rule.CODE}-valid-{i}") for rule in all_rules() for i, ex in enumerate(rule.VALID)]
INVALID = [
    pytest.param(rule, ex, id=f"{rule.CODE}-invalid-{i}") for rule in all_rules() for i, ex in enumerate(rule.INVALID)
]


def test_every_rule_documents_itself_with_examples():
    for rule in all_rules():
        assert rule.WHAT and rule.WHY and rule.FREE_THREADING and rule.FIX_SAFETY, rule.CODE
        assert rule.VALID and rule.INVALID, f"{rule.CODE} needs VALID and INVALID examples"


@pytest.mark.parametrize("rule,example", VALID)
def test_valid_examples_are_not_reported(rule, example):
    result = lint_source(example.source, "example.py", ALL)
    assert result.error is None
    assert [f for f in result.findings if f.code == rule.CODE] == []


@pytest.mark.parametrize("rule,example", INVALID)
def test_invalid_examples_are_reported_at_their_line(rule, example):
    result = lint_source(example.source, "example.py", ALL)
    assert result.error is None
    assert (rule.CODE, example.line) in [(f.code, f.line) for f in result.findings]


@pytest.mark.parametrize("rule,example", INVALID)
def test_invalid_examples_fix_as_documented(rule, example):
    result = fix_source(example.source, "example.py", ALL)
    assert result.fix_error is None
    if example.expected_fix is None:
        return
    assert result.new_source is not None
    fixed = result.new_source.decode()
    assert fixed == example.fixed
    compile(fixed, "example.py", "exec")
    assert [f for f in lint_source(fixed, "example.py", ALL).findings if f.code == rule.CODE] == []
    assert fix_source(fixed, "example.py", ALL).new_source is None  # idempotent
