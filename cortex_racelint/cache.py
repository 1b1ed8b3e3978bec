"""Per-file result cache in `.racelint_cache/`, keyed on tool, config and content.

The key hashes the tool's own source (so an edited rule invalidates, not only a version
bump), the effective configuration and the file's path and bytes. Entries are JSON
written to a temp file and moved into place with `os.replace`, so two racelint
processes can share the folder; an entry that fails to parse or does not match its key
is ignored (and recomputed), never trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

from .ftypes import Config, FileResult, Finding, FixApplicability, GilExposure, ParseError, Position, RaceWindow, Span

CACHE_DIR = ".racelint_cache"
FORMAT = 1


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def entry_key(path: str, raw: bytes, config: Config) -> str:
    digest = hashlib.sha256()
    for part in (tool_fingerprint(), config.cache_key(), os.path.abspath(path), hashlib.sha256(raw).hexdigest()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _span(data: dict) -> Span:
    return Span(Position(*data["start"]), Position(*data["end"]))


def _finding_to_json(finding: Finding) -> dict:
    data = dataclasses.asdict(finding)
    data["span"] = {"start": [finding.span.start.line, finding.span.start.column], "end": [finding.span.end.line, finding.span.end.column]}
    if finding.fix_applicability is not None:
        data["fix_applicability"] = finding.fix_applicability.value
    if finding.window is not None:
        data["window"] = {
            "check": {"start": [finding.window.check.start.line, finding.window.check.start.column], "end": [finding.window.check.end.line, finding.window.check.end.column]},
            "act": {"start": [finding.window.act.start.line, finding.window.act.start.column], "end": [finding.window.act.end.line, finding.window.act.end.column]},
            "hold_call": finding.window.hold_call,
            "exposure": finding.window.exposure.value,
        }
    return data


def _finding_from_json(data: dict) -> Finding:
    window = None
    if data.get("window"):
        w = data["window"]
        window = RaceWindow(_span(w["check"]), _span(w["act"]), w["hold_call"], GilExposure(w["exposure"]))
    return Finding(
        code=data["code"],
        message=data["message"],
        path=data["path"],
        span=_span(data["span"]),
        fix_applicability=FixApplicability(data["fix_applicability"]) if data.get("fix_applicability") else None,
        fix_message=data.get("fix_message"),
        no_fix_reason=data.get("no_fix_reason"),
        window=window,
    )


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, path: str) -> Optional[FileResult]:
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
            if data.get("key") != key or data.get("path") != path:
                return None
            result = FileResult(path=path, findings=[_finding_from_json(f) for f in data["findings"]])
            if data.get("error"):
                result.error = ParseError(**data["error"])
            result.hidden_unsafe = int(data.get("hidden_unsafe", 0))
            return result
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, corrupt or half-written by another process: recompute

    def prepare(self) -> None:
        """Create the folder (ignored by git) once, before workers write entries into it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def put(self, key: str, result: FileResult) -> None:
        if result.error is not None and result.error.message.startswith("cannot read"):
            return  # nothing was linted

        data = {
            "key": key,
            "path": result.path,
            "findings": [_finding_to_json(f) for f in result.findings],
            "error": dataclasses.asdict(result.error) if result.error else None,
            "hidden_unsafe": result.hidden_unsafe,
        }
        target = self._file(key)
        try:
            if not target.parent.is_dir():
                self.prepare()
                target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed
