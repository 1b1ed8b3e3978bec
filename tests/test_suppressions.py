"""`# noqa`, `# noqa: CODE`, `# racelint: ignore[CODE]`, and reporting unused ones."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

TEMPLATE = """_x = None

def get():
    global _x
    if _x is None:{comment}
        _x = object()
    return _x
"""


@pytest.mark.parametrize(
    "comment,suppressed",
    [
        ("", False),
        ("  # noqa", True),
        ("  # noqa: CRL101", True),
        ("  # noqa: CRL1", True),
        ("  # NOQA:CRL101,E501", True),
        ("  # noqa: CRL102", False),
        ("  # racelint: ignore[CRL101]", True),
        ("  # racelint: ignore", True),
        ("  # racelint: ignore[CRL3]", False),
        ('  # "# noqa" in a comment still counts', True),
    ],
)
def test_suppression_forms(comment, suppressed):
    result = lint_source(TEMPLATE.format(comment=comment), "x.py")
    assert bool(result.findings) is not suppressed


def test_noqa_inside_a_string_does_not_suppress():
    source = TEMPLATE.format(comment="").replace("_x = object()", '_x = make("# noqa")')
    assert lint_source(source, "x.py").findings


def test_suppressed_finding_is_not_fixed():
    source = TEMPLATE.format(comment="  # racelint: ignore[CRL101]")
    assert fix_source(source, "x.py").new_source is None


def test_unused_suppression_reported_when_selected():
    source = "x = 1  # racelint: ignore[CRL101]\ny = 2  # noqa: CRL102\nz = 3  # noqa: E501\n"
    config = Config(extend_select=("CRL001",))
    findings = lint_source(source, "x.py", config).findings
    assert [(f.code, f.line) for f in findings] == [("CRL001", 1), ("CRL001", 2)]
    assert lint_source(source, "x.py").findings == []  # off by default
    used = TEMPLATE.format(comment="  # racelint: ignore[CRL101]")
    assert lint_source(used, "x.py", config).findings == []
