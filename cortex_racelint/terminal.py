"""What only a person at a terminal sees: colour and a progress line.

Colour follows Ruff's concise output (path bold, separators cyan, code bold red, `[*]`
cyan) and the conventions of https://no-color.org and https://force-color.org:
`NO_COLOR` (non-empty) turns it off, else `FORCE_COLOR` (non-empty) turns it on, else
it is on only when the stream is a terminal (and `TERM` is not `dumb`). Machine formats
and files are never coloured. The progress line goes to stderr, only on a terminal and
only once a run has lasted `PROGRESS_AFTER` seconds, and is erased when the run ends.
"""

from __future__ import annotations

import os
import re
import time
from typing import Optional, TextIO

#: seconds of silence before the progress line appears
PROGRESS_AFTER = 2.0

_RESET = "\033[0m"
_BOLD = "\033[1m"
_RED_BOLD = "\033[1;31m"
_CYAN = "\033[36m"
_YELLOW_BOLD = "\033[1;33m"

#: `path:line:col: CODE [*] message` or `path:line:col: error: message` (also `path: error: ...`)
_LINE = re.compile(r"^(?P<path>[^\s:][^:]*?)(?P<pos>(?::\d+:\d+)?):(?P<rest> (?:CRL\d+|error:).*)$")
_CODE = re.compile(r"^ (?P<code>CRL\d+|error:)(?P<fix> \[\*\])?")


def colour_enabled(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream` (see the module docstring for the order)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


def colourise(text: str) -> str:
    """Colour the diagnostic lines of concise/full output; every other line is left as it is."""
    return "\n".join(_colour_line(line) for line in text.split("\n"))


def _colour_line(line: str) -> str:
    match = _LINE.match(line)
    if match is None:
        return line
    pos = "".join(
        f"{_CYAN}:{_RESET}{part}" for part in match.group("pos").split(":")[1:]
    )
    rest = match.group("rest")
    head = _CODE.match(rest)
    assert head is not None  # _LINE only matches a code or `error:`
    code = head.group("code")
    fix = f" {_CYAN}[*]{_RESET}" if head.group("fix") else ""
    return f"{_BOLD}{match.group('path')}{_RESET}{pos}{_CYAN}:{_RESET} {_RED_BOLD}{code}{_RESET}{fix}{rest[head.end():]}"


def warning(text: str, stream: TextIO) -> str:
    """`warning: text`, the word in bold yellow on a colour terminal."""
    label = f"{_YELLOW_BOLD}warning{_RESET}" if colour_enabled(stream) else "warning"
    return f"{label}: {text}"


class Progress:
    """`racelint: checked 120/818 files (3.1 s)` on stderr, redrawn in place; silent off a terminal.

    `advance(n)` reports n more items done (0 only redraws the clock); `close()` erases the line.
    """

    def __init__(
        self, total: int, noun: str, stream: TextIO, enabled: bool = True, after: Optional[float] = None
    ) -> None:
        self.total = total
        self.after = PROGRESS_AFTER if after is None else after
        self.noun = noun
        self.stream = stream
        self.done = 0
        self.started = time.monotonic()
        self.enabled = enabled and _is_terminal(stream)
        self._shown = False

    def advance(self, count: int = 1, label: str = "") -> None:
        self.done += count
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        if elapsed < self.after:
            return
        suffix = f": {label}" if label else ""
        line = f"racelint: {self.noun} {self.done}/{self.total} ({elapsed:.0f} s){suffix}"
        self.stream.write("\r\033[K" + line[:_width() - 1])
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    isatty: Optional[object] = getattr(stream, "isatty", None)
    try:
        return bool(callable(isatty) and isatty())
    except (ValueError, OSError):
        return False


def _width() -> int:
    try:
        return os.get_terminal_size(2).columns
    except OSError:
        return 80
