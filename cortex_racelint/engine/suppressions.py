"""`# noqa`, `# noqa: CRL101` and `# racelint: ignore[CRL101]` on the reported line.

Comments are found with `tokenize`, so a `# noqa` inside a string does not count; a
file that does not tokenize falls back to a plain scan of each line.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Optional

#: a blanket noqa comment (no `codes` group), or one naming codes; `--add-noqa` edits what it matches
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_RACELINT = re.compile(r"#\s*racelint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@dataclass
class Suppression:
    line: int
    column: int
    codes: Optional[tuple[str, ...]]  # None: every code
    kind: str  # "noqa" or "racelint"
    used: set[str] = field(default_factory=set)

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


def _split_codes(text: Optional[str]) -> Optional[tuple[str, ...]]:
    if text is None:
        return None
    codes = tuple(c.upper() for c in re.split(r"[\s,]+", text.strip()) if c)
    return codes or None


def _comments(source: str) -> list[tuple[int, int, str]]:
    try:
        return [
            (tok.start[0], tok.start[1], tok.string)
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        found = []
        for number, line in enumerate(source.splitlines(), start=1):
            index = line.find("#")
            if index >= 0:
                found.append((number, index, line[index:]))
        return found


class SuppressionTable:
    """All suppression comments of one file, by line."""

    def __init__(self, source: str) -> None:
        self.by_line: dict[int, list[Suppression]] = {}
        lowered = source.lower()
        if "noqa" not in lowered and "racelint" not in lowered:
            return
        for line, column, comment in _comments(source):
            for match in NOQA.finditer(comment):
                self._add(Suppression(line, column + match.start(), _split_codes(match.group("codes")), "noqa"))
            for match in _RACELINT.finditer(comment):
                self._add(Suppression(line, column + match.start(), _split_codes(match.group("codes")), "racelint"))

    def _add(self, suppression: Suppression) -> None:
        self.by_line.setdefault(suppression.line, []).append(suppression)

    def suppresses(self, code: str, line: int, honour_noqa: bool = True) -> bool:
        hit = False
        for suppression in self.by_line.get(line, ()):
            if suppression.kind == "noqa" and not honour_noqa:
                continue
            if suppression.covers(code):
                suppression.used.add(code)
                hit = True
        return hit

    def unused(self) -> list[tuple[Suppression, tuple[str, ...]]]:
        """racelint suppressions, and `noqa` naming CRL codes, that suppressed nothing."""
        result = []
        for suppressions in self.by_line.values():
            for suppression in suppressions:
                if suppression.codes is None:
                    if suppression.kind == "racelint" and not suppression.used:
                        result.append((suppression, ()))
                    continue
                ours = tuple(c for c in suppression.codes if c.startswith("CRL"))
                stale = tuple(c for c in ours if not any(u.startswith(c) for u in suppression.used))
                if stale:
                    result.append((suppression, stale))
        return sorted(result, key=lambda item: (item[0].line, item[0].column))
