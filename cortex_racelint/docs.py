"""Rule documentation in Ruff's sections, generated from the rule class itself.

"Use instead" is the rule's first INVALID example run through the real fixer, so the
documentation can never drift from what `--fix` does.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Optional

from .ftypes import Config
from .registry import META_CODES, all_rules, rule_by_code
from .rule import Rule

_META_DOCS = {
    "CRL001": (
        "unused-suppression",
        "A `# racelint: ignore[...]` comment, or a `# noqa: CRL...` code, that suppressed nothing. "
        "Not enabled by default: select it with `--extend-select CRL001`.",
    )
}


def _section(title: str, body: str) -> str:
    return f"## {title}\n{textwrap.dedent(body).strip()}\n"


def _code_block(code: str) -> str:
    return "```python\n" + code.rstrip("\n") + "\n```"


def example_config(code: str) -> Config:
    """The configuration a rule page's fix is made with: a project that has the helper modules
    (the pool, the atomic-write helpers) at their default place, as `racelint scaffold` writes them."""
    config = Config(unsafe_fixes=True, select=(code,))
    return dataclasses.replace(config, present_helpers=config.helper_modules())


def example_fix(rule: type[Rule]) -> Optional[str]:
    from .engine.fixer import fix_source

    for example in rule.INVALID:
        result = fix_source(example.source, "example.py", example_config(rule.CODE))
        if result.new_source is not None:
            return result.new_source.decode("utf-8")
    return None


def render_rule(code: str) -> Optional[str]:
    code = code.upper()
    if code in _META_DOCS:
        name, text = _META_DOCS[code]
        return f"# {name} ({code})\n\n{text}\n"
    rule = rule_by_code(code)
    if rule is None:
        return None
    parts = [f"# {rule.NAME} ({rule.CODE})\n"]
    parts.append(_section("What it does", rule.WHAT))
    parts.append(_section("Why is this bad?", rule.WHY))
    parts.append(_section("Free-threading impact", rule.FREE_THREADING))
    parts.append(_section("Consequence and severity", _consequence_text(rule)))
    if rule.KNOWN_PROBLEMS:
        parts.append(_section("Known problems", rule.KNOWN_PROBLEMS))
    if rule.INVALID:
        parts.append("## Example\n" + _code_block(rule.INVALID[0].source) + "\n")
    fixed = example_fix(rule)
    if fixed is not None:
        parts.append("## Use instead (what `racelint --fix` produces)\n" + _code_block(fixed) + "\n")
    elif rule.VALID:
        parts.append("## Use instead\n" + _code_block(rule.VALID[0].source) + "\n")
    parts.append(_section("Fix safety", rule.FIX_SAFETY))
    return "\n".join(parts)


def _consequence_text(rule: type[Rule]) -> str:
    text = rule.CONSEQUENCES
    if rule.CONSEQUENCE is not None:
        c = rule.CONSEQUENCE
        text = f"{c.kind} (severity {c.severity.value}){': ' + c.detail if c.detail else ''}.\n" + text
    if rule.OPT_IN:
        text += f"\nOpt-in: enabled only when `select` or `extend-select` names `{rule.CODE}` itself."
    return text


def render_catalog() -> str:
    """The `racelint rules` table; the name column is as wide as the longest name, so columns align."""
    entries = [
        (rule.CODE, rule.NAME, rule.FIX.value if rule.FIX is not None else "none", " ".join(rule.summary().split()))
        for rule in all_rules()
    ]
    entries += [(code, name, "none", _META_DOCS[code][1].split(". ")[0]) for code, name in META_CODES.items()]
    width = max(len(name) for _, name, _, _ in entries)
    rows = [f"{'code':<7} {'name':<{width}} {'fix':<8} summary"]
    rows += [f"{code:<7} {name:<{width}} {fix:<8} {summary}" for code, name, fix, summary in entries]
    return "\n".join(rows)
