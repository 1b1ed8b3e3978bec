"""Write `docs/rules/CODE.md`, the rule pages the machine formats link to (SARIF `helpUri`, JSON `url`).

Each page is what `racelint rule CODE` prints, generated from the rule class (its example fix
by the real fixer); `tests/test_output_formats.py` fails when a page is out of date.

    python scripts/write_rule_pages.py          # rewrite the pages
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cortex_racelint.docs import render_rule  # noqa: E402
from cortex_racelint.registry import known_codes  # noqa: E402

PAGES = REPO / "docs" / "rules"


def pages() -> dict[str, str]:
    """File name -> content of every rule page."""
    return {f"{code}.md": render_rule(code) or "" for code in known_codes()}


def main() -> int:
    PAGES.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in {p.name for p in PAGES.glob("CRL*.md")} - set(wanted):
        (PAGES / stale).unlink()
    for name, text in wanted.items():
        (PAGES / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} rule pages to {PAGES.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
