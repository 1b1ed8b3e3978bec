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


def use_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Use\n", 1)[1]
    return section.split("```", 2)[1].strip("\n").splitlines()


def test_every_command_of_the_use_block_parses():
    """Each `racelint ...` line of the README's Use block is a command line the parser accepts,
    and every option the block names is one `check` has."""
    from cortex_racelint.cli import build_parser
    from cortex_racelint.confirm.cli import build_parser as confirm_parser
    from cortex_racelint.scaffold import HELPERS
    from cortex_racelint.verbs import normalise

    parser = build_parser()
    check_options = set(parser._subparsers._group_actions[0].choices["check"]._option_string_actions)  # type: ignore[union-attr]
    placeholders = {"PATHS": ".", "PATH": ".", "DIR": "out", "PACKAGE_DIR": "pkg", "CODES": "CRL1", "F": "x.py", "N": "2"}
    commands = 0
    for line in use_block():
        if line.startswith("  "):  # an options line
            for option in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", line):
                option = re.sub(r"^-(\w)\1+$", r"-\1", option)  # `-qq` is `-q` counted twice
                assert option in check_options, (option, line)
            continue
        if not line.startswith("racelint "):
            continue
        command = line.split("  #", 1)[0].replace("[", "").replace("]", "")
        words = [placeholders.get(w, w.split("|")[0]) for w in command.split()[1:]]
        argv = normalise(words)
        commands += 1
        if argv[0] == "scaffold":
            assert {w for w in command.split()[2].split("|")} <= set(HELPERS), line
        elif argv[0] == "confirm":
            confirm_parser().parse_args(argv[1:])
        else:
            parser.parse_args(argv)  # exits 2 (fails the test) on an unknown option
    assert commands >= 10
