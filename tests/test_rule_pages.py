"""`docs/rules/*.md` are generated from the rule classes: they must not drift from `racelint rule`."""

from __future__ import annotations

from pathlib import Path

from cortex_racelint.docs import render_index, render_rule, rule_pages
from cortex_racelint.registry import META_CODES, all_rules

PAGES = Path(__file__).resolve().parent.parent / "docs" / "rules"
REGENERATE = "regenerate with `python -m cortex_racelint.docs docs/rules`"


def test_every_rule_has_a_page_identical_to_racelint_rule() -> None:
    expected = rule_pages()
    assert set(expected) == {f"{r.CODE}.md" for r in all_rules()} | {f"{c}.md" for c in META_CODES}
    for name, text in expected.items():
        page = PAGES / name
        assert page.exists(), f"{page} is missing: {REGENERATE}"
        assert page.read_text(encoding="utf-8") == text, f"{page} drifted from `racelint rule`: {REGENERATE}"
        assert text == render_rule(name[:-3])


def test_no_stale_pages_and_the_index_is_current() -> None:
    names = {p.name for p in PAGES.glob("*.md")}
    assert names == set(rule_pages()) | {"README.md"}, f"stale or missing pages: {REGENERATE}"
    assert (PAGES / "README.md").read_text(encoding="utf-8") == render_index(), REGENERATE


def test_summaries_are_whole_sentences() -> None:
    for rule in all_rules():
        summary = rule.summary()
        assert summary.endswith((".", ")")) or summary == rule.MESSAGE, (rule.CODE, summary)
        assert summary.count("`") % 2 == 0, (rule.CODE, summary)
