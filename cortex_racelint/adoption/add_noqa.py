"""`--add-noqa`: mark every line with a finding `# noqa: CRLxxx`, as Ruff does.

The comment goes on the reported line (the line racelint's suppressions read). An
existing `# noqa: E501` gains the code (`# noqa: E501, CRL401`); any other comment is
kept and the noqa is appended after it. A line whose end lies inside a string or ends
in a backslash continuation cannot carry a comment: it is left alone and reported. The
result must compile, or the file is not written.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Iterable, Optional

from ..engine.sourcefile import NewlineStyle, WriteRefused, atomic_replace, read_bytes
from ..engine.suppressions import NOQA
from ..ftypes import Finding



@dataclass
class NoqaResult:
    path: str
    new_source: Optional[bytes] = None
    added: int = 0  # lines that gained a code
    #: lines that cannot carry a comment (inside a string, after a backslash), with why
    refused: list[tuple[int, str]] = field(default_factory=list)
    error: Optional[str] = None


def _line_ends(text: str) -> tuple[dict[int, int], set[int], set[int]]:
    """Per line: the column of its comment (if any); lines whose end is inside a multi-line
    token; lines ending in a backslash continuation."""
    comments: dict[int, int] = {}
    inside: set[int] = set()
    continued: set[int] = set()
    lines = text.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.start[1]
        elif token.start[0] != token.end[0]:
            inside.update(range(token.start[0], token.end[0]))  # a string spanning lines
    for number, line in enumerate(lines, start=1):
        if number in comments or number in inside:
            continue
        if line.rstrip("\r\n").endswith("\\"):
            continued.add(number)
    return comments, inside, continued


def _with_codes(line: str, comment_at: Optional[int], codes: list[str]) -> Optional[str]:
    """The line with `codes` added to its noqa (or a new one); None when nothing changes."""
    body, newline = line, ""
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            body, newline = line[: -len(ending)], ending
            break
    if comment_at is not None:
        comment = body[comment_at:]
        match = NOQA.search(comment)
        if match is not None:
            if match.group("codes") is None:
                return None  # a blanket `# noqa` already covers every code
            present = [c.upper() for c in re.split(r"[\s,]+", match.group("codes")) if c]
            missing = [c for c in codes if not any(c.startswith(p) for p in present)]
            if not missing:
                return None
            end = comment_at + match.end("codes")
            return body[:end] + ", " + ", ".join(missing) + body[end:] + newline
    return body.rstrip() + "  # noqa: " + ", ".join(codes) + newline


def _compile_error(text: str, path: str) -> Optional[str]:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return str(error)
    return None


def add_noqa_to_source(raw: bytes, findings: Iterable[Finding], path: str = "<source>") -> NoqaResult:
    result = NoqaResult(path)
    style = NewlineStyle.detect(raw)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = style.to_parser(raw[len(bom) :]).decode("utf-8")
    except UnicodeDecodeError as error:
        result.error = f"not UTF-8 ({error.reason}); not changed"
        return result
    codes_by_line: dict[int, list[str]] = {}
    for finding in findings:
        codes = codes_by_line.setdefault(finding.line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    if not codes_by_line:
        return result
    try:
        comments, inside, continued = _line_ends(text)
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        result.error = f"does not tokenize ({error}); not changed"
        return result
    lines = text.splitlines(keepends=True)
    for number, codes in sorted(codes_by_line.items()):
        if number < 1 or number > len(lines):
            continue
        if number in inside:
            result.refused.append((number, "the line ends inside a string"))
            continue
        if number in continued:
            result.refused.append((number, "the line ends in a backslash continuation"))
            continue
        changed = _with_codes(lines[number - 1], comments.get(number), sorted(codes))
        if changed is not None:
            lines[number - 1] = changed
            result.added += 1
    if not result.added:
        return result
    new_text = "".join(lines)
    error = _compile_error(new_text, path)
    if error is not None and _compile_error(text, path) is None:  # newer syntax than this Python: not our doing
        result.error = f"adding noqa comments would not compile ({error}); not changed"
        result.added = 0
        return result
    result.new_source = bom + style.from_parser(new_text.encode("utf-8"))
    return result


def add_noqa_to_file(path: str, findings: Iterable[Finding]) -> NoqaResult:
    try:
        raw = read_bytes(path)
    except OSError as error:
        return NoqaResult(path, error=f"cannot read: {error.strerror or error}")
    result = add_noqa_to_source(raw, findings, path)
    if result.new_source is not None:
        try:
            atomic_replace(path, result.new_source, raw)
        except (WriteRefused, OSError) as error:
            result.error = f"not written: {error}"
            result.new_source = None
            result.added = 0
    return result
