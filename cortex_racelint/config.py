"""Configuration files (`[tool.racelint]`, `racelint.toml`), found per file and validated strictly.

A typo in a key or a code is an error with the file and key named, not a silently
ignored setting: a linter whose configuration quietly does nothing is worse than none.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

from .analysis.framework_entries import entries_from_config
from .project.event_loop import packages_from_config
from .ftypes import Config
from .project_helpers import project_root, resolve_helpers
from .registry import is_valid_selector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """Bad configuration: the message names the file and the key."""


FILE_WRITE_FIXES = ("lock", "atomic", "lock+atomic")

_LIST_KEYS = {"select", "ignore", "extend-select", "exclude", "extend-exclude"}
_STRING_KEYS = {"sqlite-pool", "file-write-fix", "atomic-write-module"}
_BOOL_KEYS = {"unsafe-fixes", "respect-gitignore"}
_KNOWN_KEYS = _LIST_KEYS | _STRING_KEYS | _BOOL_KEYS | {"per-file-ignores", "thread-entries", "event-loop-packages"}


#: configuration files looked for in each folder, in this order (Ruff: `.ruff.toml`, `ruff.toml`,
#: `pyproject.toml`); the first two hold the settings at top level, pyproject.toml under `[tool.racelint]`
CONFIG_NAMES = (".racelint.toml", "racelint.toml", "pyproject.toml")


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest `pyproject.toml`, with or without racelint settings (the project's root for
    scaffolding); configuration is found by `find_config`."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def config_in_folder(folder: Path) -> Optional[Path]:
    """The configuration file of `folder` itself: a `racelint.toml` always counts, a
    `pyproject.toml` only with a `[tool.racelint]` table (as Ruff skips those without `[tool.ruff]`)."""
    for name in CONFIG_NAMES:
        path = folder / name
        if not path.is_file():
            continue
        if name != "pyproject.toml" or _has_racelint_table(path):
            return path
    return None


def find_config(start: Path) -> Optional[Path]:
    """The configuration file nearest to `start` (a file or a folder), searching upwards."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        found = config_in_folder(candidate)
        if found is not None:
            return found
    return None


def _has_racelint_table(path: Path) -> bool:
    """Whether a pyproject.toml has `[tool.racelint]`; an unreadable or malformed one counts,
    so that its error is reported rather than the file skipped silently."""
    try:
        raw = path.read_bytes()
    except OSError:
        return True  # read again by read_config_file, which reports the error
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return b"racelint" in raw
    tool = data.get("tool")
    return isinstance(tool, dict) and "racelint" in tool


def load_config(start: Path, explicit: Optional[Path] = None) -> Config:
    """Configuration for a run started at `start` (or from an explicit file), with the
    helper modules the project has resolved: the fixes import no other."""
    config = read_config_file(explicit, explicit=True) if explicit else _read_found(find_config(start))
    return resolve_helpers(config, project_root(config, start))


def _read_found(path: Optional[Path]) -> Config:
    return Config() if path is None else read_config_file(path)


def read_config_file(path: Path, explicit: bool = False) -> Config:
    """The settings of one configuration file; its folder is the root its paths are relative to.

    An explicit file (`--config`) without racelint settings is an error: it was named to
    configure this run, and running with the defaults instead would hide the mistake."""
    if explicit and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: malformed TOML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    tool = data.get("tool")
    nested = tool.get("racelint") if isinstance(tool, dict) else None
    if nested is not None or path.name == "pyproject.toml" or isinstance(tool, dict):
        section, where = nested, f"{path}: [tool.racelint]"
    else:
        section, where = data, str(path)
    if section is None or (explicit and section == {}):
        if explicit:
            if nested is not None:
                detail = "its [tool.racelint] table is empty"
            elif path.name == "pyproject.toml" or isinstance(tool, dict):
                detail = "it has no [tool.racelint] table"
            else:
                detail = "it is empty; a racelint.toml holds the settings at top level, a pyproject.toml under [tool.racelint]"
            raise ConfigError(f"{path}: --config names a file with no racelint settings: {detail}")
        return Config(root=path.parent.resolve())
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    return config_from_table(section, where, root=path.parent.resolve())


def _codes(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    codes = tuple(v.strip().upper() for v in value)
    return codes


def validate_selectors(where: str, key: str, codes: Iterable[str]) -> None:
    for code in codes:
        if not is_valid_selector(code):
            raise ConfigError(f"{where}: `{key}` has unknown rule code or prefix {code!r} (see `racelint rules`)")


def config_from_table(section: dict, where: str, root: Optional[Path] = None) -> Config:
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_KNOWN_KEYS))})")
    values: dict[str, Any] = {"root": root}
    for key in _LIST_KEYS & set(section):
        if key in ("exclude", "extend-exclude"):
            value = section[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of glob strings, got {value!r}")
            values[key.replace("-", "_")] = tuple(value)
        else:
            codes = _codes(where, key, section[key])
            validate_selectors(where, key, codes)
            values[key.replace("-", "_")] = codes
    for key in _STRING_KEYS & set(section):
        if not isinstance(section[key], str):
            raise ConfigError(f"{where}: `{key}` must be a string, got {section[key]!r}")
        values[key.replace("-", "_")] = section[key]
    for key in _BOOL_KEYS & set(section):
        if not isinstance(section[key], bool):
            raise ConfigError(f"{where}: `{key}` must be true or false, got {section[key]!r}")
        values[key.replace("-", "_")] = section[key]
    if "file_write_fix" in values and values["file_write_fix"] not in FILE_WRITE_FIXES:
        raise ConfigError(f"{where}: `file-write-fix` must be one of {', '.join(FILE_WRITE_FIXES)}")
    if "sqlite_pool" in values and ":" not in values["sqlite_pool"]:
        raise ConfigError(f"{where}: `sqlite-pool` must look like `package.module:function`")
    if "per-file-ignores" in section:
        table = section["per-file-ignores"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: `per-file-ignores` must be a table of glob = [codes]")
        entries = []
        for pattern, codes in table.items():
            parsed = _codes(where, f"per-file-ignores.{pattern}", codes)
            validate_selectors(where, f"per-file-ignores.{pattern}", parsed)
            entries.append((pattern, parsed))
        values["per_file_ignores"] = tuple(entries)
    if "thread-entries" in section:
        try:
            values["thread_entries"] = entries_from_config(section["thread-entries"], where)
        except ValueError as error:
            raise ConfigError(str(error)) from error
    if "event-loop-packages" in section:
        try:
            values["event_loop_packages"] = packages_from_config(section["event-loop-packages"], where)
        except ValueError as error:
            raise ConfigError(str(error)) from error
    return Config(**values)


def with_overrides(config: Config, **overrides: Any) -> Config:
    """Command-line values win over the file; None means "not given"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    for key in ("select", "ignore", "extend_select"):
        if key in given:
            validate_selectors("command line", f"--{key.replace('_', '-')}", given[key])
    return dataclasses.replace(config, **given)
