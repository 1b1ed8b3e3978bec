"""Fix a module through its narrowed form, so a fix costs what the fixed statements cost.

`check` parses only the top-level statements its rules read (`prefilter.narrowed_source`);
a fix used to parse, transform, print and re-lint the whole module, several times, so a
one-line fix of a 10k-line module took 20x `check`. Here the fix loop runs on the narrowed
module instead, and the dropped statements are put back, byte for byte, around its output.

Each dropped top-level def/class becomes one tagged stub line (`def f(): pass  #~narrowed~3`),
so the narrowed module is small and each dropped statement's place in the fixed output is
known exactly; a fix never touches them (no rule of the file reads them). Lines after a stub
move up, so the findings' lines are translated back (`whole_findings`). What could make the
narrowed fix differ from the whole-module one is checked, and any doubt raises
`WholeModuleNeeded`, after which the caller fixes the whole module as before:

- the spliced result must hold every dropped statement, intact and in order;
- an import the fix stopped using is removed only where the dropped code cannot use it;
- each round re-screens the whole spliced module; where the rules it selects need a
  dropped statement, the spliced module is narrowed again for them (the next round and
  the final findings run on what they need).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..ftypes import Finding, Position, Span
from ..rule import Rule
from . import prefilter

#: tags the marker lines; chosen to contain neither `noqa` nor `racelint` (suppression syntax)
MARK = b"#~narrowed~"
_WORD = re.compile(r"\w+")


class WholeModuleNeeded(Exception):
    """The narrowed fix cannot be shown equal to the whole-module fix: fix the whole module."""


@dataclass
class _Dropped:
    """One dropped top-level statement: its original lines and the stub line standing in."""

    original: list[bytes]
    stub: bytes


@dataclass
class NarrowedModule:
    """The narrowed source of one file and what is needed to put the dropped statements back."""

    source: bytes
    dropped: list[_Dropped]
    hidden_words: set[str] = field(default_factory=set)  # every word of the dropped code
    #: from the last splice: the whole module's first line of each dropped statement, and for
    #: each stub line of the narrowed module the lines the whole module has up to it
    stub_lines: set[int] = field(default_factory=set)
    _stubs_at: list[int] = field(default_factory=list)
    _extra_before: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, raw: bytes, screening: prefilter.Screening) -> Optional["NarrowedModule"]:
        """None where narrowing does not apply (or the file could be mistaken for stubs)."""
        if MARK in raw or raw.startswith(b"\xef\xbb\xbf") or (b"\r" in raw and b"\n" not in raw):
            return None
        spans = prefilter.dropped_statements(screening)
        if spans is None:
            return None
        lines = raw.splitlines(keepends=True)
        dropped: list[_Dropped] = []
        parts: list[bytes] = []
        hidden = bytearray()
        kept_from = 0
        for index, (first, last, stub) in enumerate(spans):
            original = lines[first - 1 : min(last, len(lines))]
            last_line = original[-1]
            ending = last_line[len(last_line.rstrip(b"\r\n")) :]
            dropped.append(_Dropped(original, stub.encode("ascii") + b"  " + MARK + b"%d" % index + ending))
            parts.extend(lines[kept_from : first - 1])
            parts.append(dropped[-1].stub)
            kept_from = first - 1 + len(original)
            hidden += b"".join(original)
        parts.extend(lines[kept_from:])
        words = set(_WORD.findall(bytes(hidden).decode("utf-8", errors="replace")))
        narrowed = cls(b"".join(parts), dropped, words)
        try:
            unchanged = narrowed.splice(narrowed.source) == raw  # also places the findings of an unfixed module
        except WholeModuleNeeded:
            return None
        return narrowed if unchanged else None

    def mentions(self, name: str) -> bool:
        """Whether the dropped code may use `name` (any word equal to it; non-ASCII: assume so)."""
        return not name.isascii() or name in self.hidden_words

    def splice(self, fixed: bytes) -> bytes:
        """The whole module: `fixed` (the narrowed module after the fixes) with the dropped statements back."""
        result: list[bytes] = []
        self.stub_lines, self._stubs_at, self._extra_before = set(), [], []
        expected = 0
        for number, line in enumerate(fixed.splitlines(keepends=True), start=1):
            if MARK not in line:
                result.append(line)
                continue
            if expected >= len(self.dropped) or line != self.dropped[expected].stub:
                raise WholeModuleNeeded("a dropped statement's stub moved or changed")
            self.stub_lines.add(len(result) + 1)
            self._stubs_at.append(number)
            self._extra_before.append(len(result) + 1 - number)
            result.extend(self.dropped[expected].original)
            expected += 1
        if expected != len(self.dropped):
            raise WholeModuleNeeded("a dropped statement is missing from the fixed module")
        return b"".join(result)

    def whole_line(self, line: int) -> int:
        """The whole module's line for `line` of the narrowed module (as of the last splice)."""
        above = bisect.bisect_left(self._stubs_at, line)  # how many stubs are above `line`
        if above == 0:
            return line
        return line + self._extra_before[above - 1] + len(self.dropped[above - 1].original) - 1

    def whole_findings(self, findings: Sequence[Finding]) -> list[Finding]:
        """`findings` of the narrowed module, placed in the whole module."""
        placed = []
        for finding in findings:
            window = finding.window
            if window is not None:
                check, act = self._whole_span(window.check), self._whole_span(window.act)
                window = dataclasses.replace(window, check=check, act=act)
            placed.append(dataclasses.replace(finding, span=self._whole_span(finding.span), window=window))
        return placed

    def _whole_span(self, span: Span) -> Span:
        return Span(
            Position(self.whole_line(span.start.line), span.start.column),
            Position(self.whole_line(span.end.line), span.end.column),
        )

    def next_round(self, whole: bytes, rule_classes: Sequence[type[Rule]]) -> tuple[list[type[Rule]], "NarrowedModule"]:
        """The rules to run on the fixed module (screened on `whole`) and the narrowed module they run on.

        That is this one while they need none of its dropped statements; else `whole` narrowed
        again for them (a fix can select a rule that reads more: CRL301's lock makes CRL302
        look for the file's readers, which may be anywhere in the module).
        """
        screening = prefilter.screen(whole, rule_classes)
        if not screening.rules:
            return [], self
        facts = screening.facts
        if facts is None:
            raise WholeModuleNeeded("the fixed module could not be screened")
        needed: set[int] = set(facts.lock_holders)
        for rule in screening.rules:
            statements = rule.ast_statements(facts)
            if statements is None:
                raise WholeModuleNeeded(f"{rule.CODE} reads the whole fixed module")
            needed |= statements
        if not any(first in self.stub_lines for index, (first, _, _) in enumerate(facts.top_level) if index in needed):
            return screening.rules, self
        renarrowed = NarrowedModule.build(whole, screening)
        if renarrowed is None:
            raise WholeModuleNeeded("the fixed module cannot be narrowed for the rules it selects")
        return screening.rules, renarrowed
