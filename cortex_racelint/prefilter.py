"""Skip files that cannot contain any enabled rule's pattern, before LibCST sees them.

Each rule declares `EVIDENCE`: byte strings at least one of which must occur in any
file the rule could report on (for a singleton, `global` or `_instance`; for sqlite,
`connect`). Searching bytes is orders of magnitude cheaper than a LibCST parse, and
most files of a large tree carry no evidence at all.
"""

from __future__ import annotations

from typing import Sequence

from .rule import Rule


def candidate_rules(raw: bytes, rule_classes: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules whose evidence occurs in `raw` (rules without evidence always run)."""
    selected = []
    for rule in rule_classes:
        if not rule.EVIDENCE or any(token.encode() in raw for token in rule.EVIDENCE):
            selected.append(rule)
    return selected
