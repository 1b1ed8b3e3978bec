"""Which helper modules the fixes may import: those the project being fixed has.

The pooled-connection fix imports a pool factory and the file-write fixes the atomic-write
helpers. A fix importing a module the project lacks turns a racy module into one that no
longer imports, so availability is decided once, with the configuration, before any fix:
a module is present when it is a file under the project root, flat or `src/` layout. That
is where the user's tree will import it from, not this interpreter's path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from .ftypes import Config


def module_files(module: str, root: Path) -> list[Path]:
    """The files that would be `module` in a project rooted at `root` (flat or `src/` layout)."""
    relative = Path(*module.split("."))
    bases = (root, root / "src")
    return [base / relative.with_suffix(".py") for base in bases] + [base / relative / "__init__.py" for base in bases]


def project_has_module(module: str, root: Path) -> bool:
    return bool(module) and any(path.is_file() for path in module_files(module, root))


def project_root(config: Config, start: Optional[Path] = None) -> Path:
    """The folder helpers are looked up in: the pyproject's, else the working folder (when
    the linted path is inside it), else the linted folder itself."""
    if config.root is not None:
        return Path(config.root)
    cwd = Path.cwd().resolve()
    if start is None:
        return cwd
    start = start.resolve()
    if start == cwd or cwd in start.parents:
        return cwd
    return start if start.is_dir() else start.parent


def resolve_helpers(config: Config, root: Optional[Path] = None) -> Config:
    """`config` with `present_helpers` set to the helper modules found under `root`."""
    base = Path(root) if root is not None else project_root(config)
    present = tuple(sorted({m for m in config.helper_modules() if project_has_module(m, base)}))
    return dataclasses.replace(config, present_helpers=present)
