"""Turn the paths on the command line into the Python files to lint, in a stable order.

Directories are walked with virtual environments, build output and caches skipped
(the folders a `.gitignore` usually lists), plus the configured `exclude` globs. A file
named explicitly is always linted, as in Ruff, unless `--force-exclude` is given.
"""

from __future__ import annotations

import fnmatch
import os
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


def _excluded(relative: str, name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(relative, pattern):
            return True
        if pattern.endswith("/**") and (relative + "/").startswith(pattern[:-2]):
            return True
    return False


def _is_venv(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "pyvenv.cfg"))


def discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    root: Path | None = None,
    force_exclude: bool = False,
) -> Iterator[str]:
    """Python files under `paths`, sorted per directory, each once."""
    patterns = tuple(DEFAULT_EXCLUDES) + tuple(exclude)
    base = (root or Path.cwd()).resolve()
    seen: set[str] = set()

    def relative_to_base(path: str) -> str:
        try:
            return Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(path).as_posix()

    for given in paths:
        if os.path.isfile(given) or not os.path.exists(given):
            if force_exclude and _excluded(relative_to_base(given), os.path.basename(given), patterns):
                continue
            if given not in seen:
                seen.add(given)
                yield given
            continue
        def excluded(full: str, name: str) -> bool:
            # patterns are relative to the project root, or to the folder given when it lies outside
            inside = os.path.relpath(full, given).replace(os.sep, "/")
            return _excluded(relative_to_base(full), name, patterns) or _excluded(inside, name, patterns)

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
