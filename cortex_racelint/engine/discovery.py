"""Turn the paths on the command line into the Python files to lint, in a stable order.

Directories are walked with virtual environments, build output and caches skipped
(the folders a `.gitignore` usually lists), plus the configured `exclude` globs (each folder's
own configuration's) and, inside a git work tree, what its `.gitignore` files ignore. A file
named explicitly is always linted, as in Ruff, unless `--force-exclude` is given.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence

from .gitignore import GitIgnores

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


#: (exclude patterns, the folder they are relative to) for the entries of a folder
Excludes = Callable[[str], "tuple[Sequence[str], Path]"]


class _ExcludeRules:
    """The exclude patterns that apply in each folder (per-folder configuration), compiled once each."""

    def __init__(self, excludes_for: Excludes) -> None:
        self._for = excludes_for
        self._compiled: dict[tuple[str, ...], _Excludes] = {}
        #: folder -> (its patterns, their base folder, the folder relative to it or None when outside)
        self._by_folder: dict[str, tuple[_Excludes, Path, Optional[str]]] = {}

    def _rules(self, folder: str) -> tuple[_Excludes, Path, Optional[str]]:
        if folder not in self._by_folder:
            patterns, root = self._for(folder)
            key = tuple(patterns)
            if key not in self._compiled:
                self._compiled[key] = _Excludes((*DEFAULT_EXCLUDES, *key))
            base = Path(root).resolve()
            try:  # resolved once per folder, not per entry: the walk's hot path
                inside: Optional[str] = Path(folder).resolve().relative_to(base).as_posix()
            except ValueError:
                inside = None
            self._by_folder[folder] = (self._compiled[key], base, inside)
        return self._by_folder[folder]

    def excluded(self, full: str, name: str, given: str | None = None) -> bool:
        """Whether the entry `full` (named `name`) of a walked folder is excluded: patterns are
        relative to the configuration's folder, or to the folder `given` when it lies outside."""
        is_excluded, _, inside = self._rules(os.path.dirname(full) or ".")
        if inside is None:
            relative = Path(full).as_posix()
        else:
            relative = name if inside == "." else f"{inside}/{name}"
        if is_excluded(relative, name):
            return True
        return given is not None and is_excluded(os.path.relpath(full, given).replace(os.sep, "/"), name)

    def excluded_explicit(self, path: str) -> bool:
        """`--force-exclude` for a file named on the command line: the file or any folder above
        it, up to its configuration's folder, is excluded (each by its parent folder's
        patterns, or a virtual environment, as a walk would judge it), so `exclude = ["generated"]` skips `generated/x.py`
        as Ruff does."""
        start = current = Path(os.path.realpath(os.path.dirname(os.path.abspath(path)))) / os.path.basename(path)
        _, base, _ = self._rules(str(current.parent))
        while True:
            if self.excluded(str(current), current.name) or (current != start and _is_venv(str(current))):
                return True
            parent = current.parent
            if parent == base or parent == current or base not in parent.parents:
                return False
            current = parent


def walk_skips(path: str, excludes_for: Excludes, gitignores: Optional[GitIgnores] = None) -> bool:
    """Whether a folder walk from the project's top would skip the file `path` (its excludes,
    the default ones, `.gitignore`): for adapters handed single files (the flake8 plugin)."""
    if _ExcludeRules(excludes_for).excluded_explicit(path):
        return True
    return gitignores is not None and gitignores.ignored_with_parents(path)


def discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    root: Path | None = None,
    force_exclude: bool = False,
    *,
    excludes_for: Optional[Excludes] = None,
    respect_gitignore: bool = False,
) -> Iterator[str]:
    """Python files under `paths`, sorted per directory, each once.

    `excludes_for` gives each folder's patterns (per-file configuration); without it,
    `exclude` relative to `root` (default: the working folder) applies everywhere.
    """
    if excludes_for is None:
        fixed = (tuple(exclude), (root or Path.cwd()))
        excludes_for = lambda folder: fixed  # noqa: E731
    rules = _ExcludeRules(excludes_for)
    gitignored = GitIgnores() if respect_gitignore else None
    seen: set[str] = set()

    for given in paths:
        if os.path.isfile(given) or not os.path.exists(given):
            if force_exclude and rules.excluded_explicit(given):
                continue
            if given not in seen:
                seen.add(given)
                yield given
            continue

        def excluded(full: str, name: str, is_dir: bool) -> bool:
            if rules.excluded(full, name, given):
                return True
            return gitignored is not None and gitignored.ignored(full, is_dir, given)

        for folder, subfolders, files in os.walk(given, followlinks=False):
            kept = []
            for sub in sorted(subfolders):
                full = os.path.join(folder, sub)
                if excluded(full, sub, True) or _is_venv(full):
                    continue
                kept.append(sub)
            subfolders[:] = kept
            for name in sorted(files):
                if not (name.endswith(".py") or name.endswith(".pyi")):
                    continue
                full = os.path.join(folder, name)
                if excluded(full, name, False):
                    continue
                key = os.path.realpath(full)
                if key not in seen:
                    seen.add(key)
                    yield os.path.normpath(full)
