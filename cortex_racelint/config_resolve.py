"""Which configuration governs each file, resolved per file as Ruff does.

A file is configured by the nearest configuration file above it (`config.find_config`:
`.racelint.toml`, `racelint.toml`, or a `pyproject.toml` with `[tool.racelint]`, skipping
those without), so `racelint check a.py b/c.py` lints each file as `racelint check` from its
own project would, whatever the argument order. Paths in a configuration (`exclude`,
`per-file-ignores`) are relative to its folder. `--config FILE` configures every file.

Settings that exist once per run (`respect-gitignore`, the cache folder) come from the
configuration found from the working folder (Ruff's "root" settings), else the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from .config import config_in_folder, read_config_file
from .ftypes import Config
from .project_helpers import project_root, resolve_helpers

Overrides = Callable[[Config], Config]


def _same(config: Config) -> Config:
    return config


class ConfigResolver:
    """Configuration per path, each configuration file read once and each folder searched once."""

    def __init__(
        self, explicit: Optional[Path] = None, overrides: Overrides = _same, named: Sequence[str] = ()
    ) -> None:
        """`named`: the paths the run was given; a file no configuration file governs looks its
        helper modules up in the working folder when inside it, else in the named folder holding it."""
        self._overrides = overrides
        self._named = [Path(os.path.abspath(p)) for p in named if p != "-"]
        self._excludes: dict[Optional[Path], tuple[tuple[str, ...], Path]] = {}
        self._explicit = read_config_file(explicit, explicit=True) if explicit is not None else None
        self._folder_file: dict[Path, Optional[Path]] = {}
        self._by_folder: dict[str, Config] = {}
        self._parsed: dict[Optional[Path], Config] = {}
        self._configs: dict[tuple[Optional[Path], Path], Config] = {}

    def _config_file(self, folder: Path) -> Optional[Path]:
        """The configuration file governing `folder` (memoised for every folder on the way up)."""
        visited = []
        found: Optional[Path] = None
        for candidate in (folder, *folder.parents):
            if candidate in self._folder_file:
                found = self._folder_file[candidate]
                break
            visited.append(candidate)
            found = config_in_folder(candidate)
            if found is not None:
                break
        for candidate in visited:
            self._folder_file.setdefault(candidate, found)
        return found

    def _read(self, source: Optional[Path]) -> Config:
        if self._explicit is not None:
            return self._explicit
        if source not in self._parsed:
            self._parsed[source] = read_config_file(source) if source is not None else Config()
        return self._parsed[source]

    def for_folder(self, folder: str | Path) -> Config:
        """The configuration of the files directly in `folder` (memoised per folder)."""
        key = os.path.abspath(folder)
        if key not in self._by_folder:
            self._by_folder[key] = self._for_folder(Path(key).resolve())
        return self._by_folder[key]

    def _for_folder(self, folder: Path) -> Config:
        source = None if self._explicit is not None else self._config_file(folder)
        base = self._read(source)
        helper_root = project_root(base, self._named_above(folder) if base.root is None else folder)
        key = (source, helper_root)
        if key not in self._configs:
            self._configs[key] = self._overrides(resolve_helpers(base, helper_root))
        return self._configs[key]

    def _named_above(self, folder: Path) -> Path:
        """The named path holding `folder` (the outermost), else `folder` itself."""
        holding = [p for p in self._named if p == folder or p in folder.parents]
        return min(holding, key=lambda p: len(p.parts)) if holding else folder

    def for_path(self, path: str | Path) -> Config:
        """The configuration of one file (which need not exist)."""
        full = os.path.abspath(path)
        return self.for_folder(full if os.path.isdir(full) else os.path.dirname(full))

    def for_run(self, cwd: Optional[Path] = None) -> Config:
        """The run-wide settings: those of the working folder's configuration (or `--config`)."""
        return self.for_folder(cwd or Path.cwd())

    def excludes(self, folder: str) -> tuple[tuple[str, ...], Path]:
        """(exclude patterns, the folder they are relative to) for entries of `folder`: the
        shape `engine.discovery.discover` asks for."""
        folder = os.path.abspath(folder)
        source = None if self._explicit is not None else self._config_file(Path(folder).resolve())
        if source not in self._excludes:  # the patterns need no helper lookup: one per configuration
            config = self._overrides(self._read(source))
            self._excludes[source] = (config.exclude + config.extend_exclude, Path(config.root or Path.cwd()))
        return self._excludes[source]


def group_by_config(paths: Iterable[str], resolver: ConfigResolver) -> list[tuple[Config, list[int]]]:
    """Indices of `paths` grouped by the configuration each is linted with, in first-seen order."""
    groups: dict[Config, list[int]] = {}
    for index, path in enumerate(paths):
        groups.setdefault(resolver.for_path(path), []).append(index)
    return list(groups.items())
