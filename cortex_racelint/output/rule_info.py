"""What the machine formats say about a rule: its name, documentation URL and descriptions.

SARIF wants a short description that is a whole sentence, a full description and help
(text and Markdown); Ruff's JSON wants the rule's name and a `url`. All of it comes from
the rule class (`docs.render_rule`), so no format can drift from `racelint rule CODE`.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from ..prose import first_sentence
from ..registry import META_CODES, rule_by_code

#: the project's home page; `[project.urls]` in pyproject.toml says the same (a test holds them equal)
PROJECT_URL = "https://example.invalid/cortex-racelint"
#: where the rule pages live: `docs/rules/CODE.md` in the repository (what `racelint rule CODE` prints)
RULES_URL = PROJECT_URL + "/blob/main/docs/rules"

def rule_name(code: str) -> str:
    rule = rule_by_code(code)
    return rule.NAME if rule is not None else META_CODES.get(code, code)


def rule_url(code: str) -> str:
    """The rule's documentation page (Ruff's `url`, SARIF's `helpUri`)."""
    return f"{RULES_URL}/{code}.md"


@lru_cache(maxsize=None)
def _rule_page(code: str) -> str:
    from ..docs import render_rule  # renders the fixed example with the fixer: only on use

    return render_rule(code) or f"# {rule_name(code)} ({code})\n"


def short_description(code: str) -> str:
    rule = rule_by_code(code)
    if rule is None:
        return first_sentence(_rule_page(code).split("\n", 2)[-1]) or rule_name(code)
    return rule.summary()


def full_description(code: str) -> str:
    """What the rule finds and why it matters, as plain text."""
    rule = rule_by_code(code)
    if rule is None:
        return " ".join(_rule_page(code).split("\n", 2)[-1].split())
    parts = [rule.WHAT, rule.WHY]
    return "\n\n".join(" ".join(textwrap.dedent(part).split()) for part in parts if part)


def help_markdown(code: str) -> str:
    """The whole rule page (`racelint rule CODE`), Markdown."""
    return _rule_page(code)


def help_text(code: str) -> str:
    """The rule page as text: the description, then where to read the rest."""
    return f"{full_description(code)}\n\nSee `racelint rule {code}` or {rule_url(code)}"

