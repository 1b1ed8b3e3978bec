"""The verbs of `racelint`, their one-line help, and how a command line picks one.

Kept apart from `cli.py` so the verb list that `--help` shows, the one mistakes are
matched against and the one the legacy `racelint PATH` form is told apart from are
the same list.
"""

from __future__ import annotations

import difflib
import os
from typing import Sequence

#: every verb with its one-line help, in the order `racelint --help` lists them
VERBS: dict[str, str] = {
    "check": "lint files and folders (default: `racelint PATH`)",
    "rule": "show a rule's documentation (`--all`: every rule)",
    "rules": "list every rule with its fix safety",
    "confirm": "prove findings with deterministic reproducers",
    "scaffold": "add a helper module that fixes import",
    "clean": "remove the result cache (.racelint_cache)",
    "server": "run the language server (editors: diagnostics, fixes, hover)",
    "version": "print the version",
}

#: options that may come before the verb (`racelint -q check ...`), as Ruff's global options
GLOBAL_FLAGS = ("-q", "--quiet", "-qq", "-s", "--silent", "-v", "--verbose")

#: the top-level options argparse answers itself
_TOP_LEVEL = ("-h", "--help", "--version")


class UnknownVerb(Exception):
    """The first word is neither a verb nor an existing path; the message suggests verbs."""


def suggest(word: str) -> list[str]:
    """The verbs close to a mistyped one (difflib, as `git` does for its commands)."""
    return difflib.get_close_matches(word, list(VERBS), n=3, cutoff=0.6)


def unknown_verb_message(word: str) -> str:
    close = suggest(word)
    hint = f"did you mean {' or '.join(f'`racelint {v}`' for v in close)}? " if close else ""
    return (
        f"unknown command or missing path {word!r}: {hint}"
        f"the commands are {', '.join(VERBS)} (`racelint --help`)"
    )


def normalise(argv: Sequence[str]) -> list[str]:
    """The command line with its verb first.

    `racelint --fix PATHS` means `racelint check --fix PATHS`; `racelint PATH` (Ruff's
    legacy form) too, but only if PATH exists: otherwise it is a mistyped verb and
    raises `UnknownVerb`. Global flags given before the verb move after it.
    """
    argv = list(argv)
    leading: list[str] = []
    while argv and argv[0] in GLOBAL_FLAGS:
        leading.append(argv.pop(0))
    if argv and argv[0] in VERBS:
        return [argv[0], *leading, *argv[1:]]
    if not leading and argv and argv[0] in _TOP_LEVEL:
        return argv
    if argv and not argv[0].startswith("-") and not os.path.exists(argv[0]):
        raise UnknownVerb(unknown_verb_message(argv[0]))
    return ["check", *leading, *argv]
