"""A baseline of accepted findings: stop new races without fixing every old one first.

A finding is recorded by a fingerprint that survives edits elsewhere in its file: the
rule code, the file (relative, POSIX), the enclosing `class`/`def` symbol and the
whitespace-normalised source of its flagged lines, plus an occurrence index among
equal keys (two identical lines in one function stay two entries). No line numbers:
inserting lines above an old finding does not resurrect it; an edit of the flagged
lines themselves, or moving them into another function, does (the code changed, so it
deserves a second look).

The file is JSON with sorted entries, so that shrinking it shows up as a clean diff.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from ..ftypes import Finding

FORMAT_VERSION = 1
#: flagged lines beyond this many do not enter the fingerprint (a finding on a long
#: statement stays matched when its tail is edited)
MAX_LINES = 5


class BaselineError(Exception):
    """The baseline file cannot be read or is not a racelint baseline."""


@dataclass(frozen=True)
class Entry:
    code: str
    path: str
    symbol: str
    digest: str  # hash of the normalised flagged lines
    occurrence: int
    message: str = ""
    line: int = 0  # informational only: where it was when recorded

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.code, self.path, self.symbol, self.digest, self.occurrence)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "path": self.path,
            "symbol": self.symbol,
            "fingerprint": self.digest,
            "occurrence": self.occurrence,
            "message": self.message,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Entry":
        try:
            return cls(
                str(data["code"]),
                str(data["path"]),
                str(data.get("symbol", "")),
                str(data["fingerprint"]),
                int(data.get("occurrence", 0)),
                str(data.get("message", "")),
                int(data.get("line", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineError(f"malformed baseline entry {data!r}: {error}") from None


@dataclass
class Comparison:
    """Findings split against a baseline."""

    new: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    #: entries of the linted files that matched no finding: fixed, or their code changed
    stale: list[Entry] = field(default_factory=list)


def _normalise(line: str) -> str:
    return " ".join(line.split())


def _symbols(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every class and function, outermost first."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                found.append((first, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


class FileFingerprints:
    """Fingerprints of the findings of one file (its source read once)."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.symbols = _symbols(source)

    def symbol_at(self, line: int) -> str:
        best = ""
        best_size = None
        for first, last, name in self.symbols:
            if first <= line <= last and (best_size is None or last - first <= best_size):
                best, best_size = name, last - first
        return best

    def digest(self, finding: Finding) -> str:
        first = finding.span.start.line
        last = min(max(finding.span.end.line, first), first + MAX_LINES - 1)
        text = "\n".join(_normalise(line) for line in self.lines[first - 1 : last])
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _read_source(path: str) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def entries_for(
    findings: Sequence[Finding],
    relative: Callable[[str], str],
    read: Callable[[str], str] = _read_source,
) -> list[tuple[Entry, Finding]]:
    """Each finding with its baseline entry (occurrence indexes counted in line order)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    result: list[tuple[Entry, Finding]] = []
    for path, group in by_path.items():
        prints = FileFingerprints(read(path))
        seen: Counter[tuple[str, str, str, str]] = Counter()
        rel = relative(path)
        for finding in sorted(group, key=Finding.sort_key):
            base = (finding.code, rel, prints.symbol_at(finding.line), prints.digest(finding))
            entry = Entry(*base, seen[base], finding.message, finding.line)
            seen[base] += 1
            result.append((entry, finding))
    return result


def write(path: str, findings: Sequence[Finding], relative: Callable[[str], str]) -> int:
    """Record `findings` as the baseline at `path` (replaced atomically); returns the entry count."""
    entries = sorted((entry for entry, _ in entries_for(findings, relative)), key=lambda e: (e.path, e.line, e.code))
    data = {"racelint-baseline": FORMAT_VERSION, "findings": [e.to_json() for e in entries]}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return len(entries)


def read(path: str) -> list[Entry]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file {path} does not exist (write it with --write-baseline)") from None
    except (OSError, ValueError) as error:
        raise BaselineError(f"cannot read baseline {path}: {error}") from None
    if not isinstance(data, dict) or "racelint-baseline" not in data or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path} is not a racelint baseline (no `racelint-baseline` version key)")
    if data["racelint-baseline"] != FORMAT_VERSION:
        raise BaselineError(f"{path}: baseline format {data['racelint-baseline']} is not supported (expected {FORMAT_VERSION})")
    return [Entry.from_json(item) for item in data["findings"]]


def compare(
    findings: Sequence[Finding],
    baseline: Iterable[Entry],
    relative: Callable[[str], str],
    linted_paths: Optional[Iterable[str]] = None,
    read_source: Callable[[str], str] = _read_source,
) -> Comparison:
    """Split findings into new and baselined; list the baseline entries of linted files left unmatched."""
    remaining: Counter[tuple[str, str, str, str, int]] = Counter(entry.key for entry in baseline)
    entries = list(baseline)
    result = Comparison()
    for entry, finding in entries_for(findings, relative, read_source):
        if remaining[entry.key] > 0:
            remaining[entry.key] -= 1
            result.baselined.append(finding)
        else:
            result.new.append(finding)
    linted = None if linted_paths is None else {relative(p) for p in linted_paths}
    for entry in entries:
        if remaining[entry.key] > 0 and (linted is None or entry.path in linted):
            remaining[entry.key] -= 1
            result.stale.append(entry)
    return result
