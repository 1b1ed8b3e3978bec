"""Skip files that cannot contain any enabled rule's pattern, before LibCST sees them.

Three stages, each far cheaper than a LibCST parse and visit:

1. bytes: each rule declares `EVIDENCE`, byte strings (or bytes regexes) at least one of
   which must occur in any file it could report on (`global`, `connect`);
2. `ast` (CPython's C parser, ~10x faster than LibCST): facts gathered in one walk
   (`AstFacts`) answer each remaining rule's `ast_candidate(facts)`; a rule whose shape
   is absent is dropped, and a file with no rule left is never parsed by LibCST;
3. narrowing (`narrowed_source`, check only): when every remaining rule looks no further
   than the top-level statements its shape is in (`ast_statements`), the other defs and
   classes are reduced to stubs before LibCST parses the file, lines and columns kept.

A file `ast` cannot parse keeps every rule it has evidence for, so LibCST reports the
syntax error itself. `tests/test_prefilter.py` and `tests/fuzz/test_prefilter_property.py`
check that the prefilter never drops a true finding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..analysis.ast_facts import AstFacts, ast_facts
from ..ftypes import Config
from ..rule import Rule


def _occurs(evidence: "str | re.Pattern[bytes]", raw: bytes) -> bool:
    if isinstance(evidence, str):
        return evidence.encode() in raw
    return evidence.search(raw) is not None


class _Evidence:
    """Which evidence occurs in one file, each searched at most once: the rules share half of
    theirs (80 strings and patterns, 42 distinct), and each search scans the whole file."""

    __slots__ = ("raw", "seen")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.seen: dict[object, bool] = {}

    def any(self, evidence: "Sequence[str | re.Pattern[bytes]]") -> bool:
        seen = self.seen
        for item in evidence:
            found = seen.get(item)
            if found is None:
                found = seen[item] = _occurs(item, self.raw)
            if found:
                return True
        return False


@dataclass
class Screening:
    """What the prefilter decided for one file."""

    rules: list[type[Rule]]
    facts: Optional[AstFacts]  # None when `ast` did not run or could not parse the file

    @property
    def depth_checked(self) -> bool:
        """`ast` parsed it, so it is within CPython's nesting limits (no second check needed)."""
        return self.facts is not None


def screen(
    raw: bytes,
    rule_classes: Sequence[type[Rule]],
    config: Optional[Config] = None,
    tree: Optional[ast.Module] = None,
) -> Screening:
    """The rules that could report on `raw`, and the `ast` facts that decided it (`tree`: `raw` parsed).

    A rule whose configuration evidence (`Rule.config_evidence`: the project's own thread
    entries) occurs in `raw` is kept whatever the facts, and the file is not narrowed."""
    occurs = _Evidence(raw)
    forced = [r for r in rule_classes if config is not None and occurs.any(r.config_evidence(config))]
    selected = [r for r in rule_classes if r in forced or not r.EVIDENCE or occurs.any(r.EVIDENCE)]
    if forced or not any(rule.has_ast_candidate() for rule in selected):
        return Screening(selected, None)
    facts = ast_facts(raw, tree)
    if facts is None:
        return Screening(selected, None)
    return Screening([rule for rule in selected if rule.ast_candidate(facts)], facts)


def dropped_statements(screening: Screening) -> Optional[list[tuple[int, int, str]]]:
    """(first line, last line, stub) of each top-level def/class no remaining rule needs, or None.

    None when narrowing does not apply: `ast` did not run, no rule is left, some rule looks
    beyond the statements its shape is in (no `ast_statements`), or nothing can be dropped.
    The classes that create locks are always kept.
    """
    facts = screening.facts
    if facts is None or not screening.rules:
        return None
    needed: set[int] = set(facts.lock_holders)
    for rule in screening.rules:
        statements = rule.ast_statements(facts)
        if statements is None:
            return None
        needed |= statements
    dropped = [
        (first, last, stub)
        for index, (first, last, stub) in enumerate(facts.top_level)
        if stub is not None and index not in needed
    ]
    return dropped or None


def narrowed_source(raw: bytes, screening: Screening) -> Optional[bytes]:
    """`raw` with every top-level def/class no remaining rule needs reduced to a stub, or None.

    Only when every rule is confined to the statements its shape is in (`ast_statements`);
    those statements, all module-level code (imports, assignments) and the classes that
    create locks are kept byte for byte, and dropped lines become blank lines, so each
    kept node has the same line and column in the smaller module LibCST parses.
    """
    dropped = dropped_statements(screening)
    if dropped is None:
        return None
    lines = raw.splitlines(keepends=True)
    for first, last, stub in dropped:
        for number in range(first - 1, min(last, len(lines))):
            line = lines[number]
            ending = line[len(line.rstrip(b"\r\n")) :]
            lines[number] = (stub.encode("ascii") if number == first - 1 and stub else b"") + ending
    if raw.startswith(b"\xef\xbb\xbf") and not lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    return b"".join(lines)
