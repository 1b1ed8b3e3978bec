"""The README's rule table is the registry's: same codes, names, fix safety and opt-in marks.

A renamed rule or a changed fix safety that the README does not follow fails here, so
the table a newcomer reads cannot drift from `racelint rules`.
"""

from __future__ import annotations

import re

from cortex_racelint.registry import META_CODES, all_rules

from .conftest import REPO

ROW = re.compile(r"^\| (?P<code>CRL\d{3}) \| (?P<name>[^|]+) \| (?P<fix>[^|]+) \|$")


def readme_rows() -> dict[str, tuple[str, str]]:
    """code -> (name cell, fix cell) of the README's `## Rules` table."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        match = ROW.match(line.strip())
        if match:
            assert match.group("code") not in rows, f"{match.group('code')} twice in the table"
            rows[match.group("code")] = (match.group("name").strip(), match.group("fix").strip())
    return rows


def test_every_rule_is_in_the_table_once_in_registry_order():
    expected = [rule.CODE for rule in all_rules()] + list(META_CODES)
    assert list(readme_rows()) == expected


def test_names_fix_safety_and_opt_in_match_the_registry():
    rows = readme_rows()
    for rule in all_rules():
        name, fix = rows[rule.CODE]
        assert name.split()[0] == rule.NAME, (rule.CODE, name)
        safety = rule.FIX.value if rule.FIX is not None else "none"
        assert re.match(r"[a-z-]+", fix).group(0) == safety, (rule.CODE, fix, safety)
        assert ("(opt-in" in name) == rule.OPT_IN, (rule.CODE, name)
    for code, meta_name in META_CODES.items():
        name, fix = rows[code]
        assert name.split()[0] == meta_name and fix.startswith("none")


def test_the_table_row_parser_sees_the_rows():
    """The checks above are not vacuous: a wrong safety in a row is caught."""
    rows = readme_rows()
    assert len(rows) >= 15
    assert rows["CRL101"][1].startswith("safe") and rows["CRL104"][1].startswith("unsafe")
