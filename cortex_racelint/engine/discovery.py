"""Turn the paths on the command line into the Python files to lint, in a stable order.

Directories are walked with virtual environments, build output and caches skipped
(the folders a `.gitignore` usually lists), plus the configured `exclude` globs. A file
named explicitly is always linted, as in Ruff, unless `--force-exclude` is given.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".racelint_cache",
    ".hypothesis",
    "site-packages",
    "__pypackages__",
)


class _Excludes:
    """The exclude globs compiled into one regex (matching each pattern in turn cost more
    than the rest of a warm run's discovery)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        stripped = [pattern.rstrip("/") for pattern in patterns]
        self._any = re.compile("|".join(f"(?:{fnmatch.translate(os.path.normcase(p))})" for p in stripped))
        self._prefixes = tuple(p[:-2] for p in stripped if p.endswith("/**"))

    def __call__(self, relative: str, name: str) -> bool:
        if self._any.match(os.path.normcase(name)) or self._any.match(os.path.normcase(relative)):
            return True
        return bool(self._prefixes) and (relative + "/").startswith(self._prefixes)


def _is_venv(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "pyvenv.cfg"))


def discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    root: Path | None = None,
    force_exclude: bool = False,
) -> Iterator[str]:
    """Python files under `paths`, sorted per directory, each once."""
    is_excluded = _Excludes((*DEFAULT_EXCLUDES, *exclude))
    base = (root or Path.cwd()).resolve()
    seen: set[str] = set()

    def relative_to_base(path: str) -> str:
        try:
            return Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(path).as_posix()

    for given in paths:
        if os.path.isfile(given) or not os.path.exists(given):
            if force_exclude and is_excluded(relative_to_base(given), os.path.basename(given)):
                continue
            if given not in seen:
                seen.add(given)
                yield given
            continue
        def excluded(full: str, name: str) -> bool:
            # patterns are relative to the project root, or to the folder given when it lies outside
            inside = os.path.relpath(full, given).replace(os.sep, "/")
            return is_excluded(relative_to_base(full), name) or is_excluded(inside, name)

        for folder, subfolders, files in os.walk(given, followlinks=False):
            kept = []
            for sub in sorted(subfolders):
                full = os.path.join(folder, sub)
                if excluded(full, sub) or _is_venv(full):
                    continue
                kept.append(sub)
            subfolders[:] = kept
            for name in sorted(files):
                if not (name.endswith(".py") or name.endswith(".pyi")):
                    continue
                full = os.path.join(folder, name)
                if excluded(full, name):
                    continue
                key = os.path.realpath(full)
                if key not in seen:
                    seen.add(key)
                    yield os.path.normpath(full)
