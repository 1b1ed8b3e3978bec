"""`racelint scaffold db-pool|fileio|thread-utils PACKAGE_DIR`: add a helper the fixes import.

The sqlite fix imports a connection pool and the file-write fix the atomic-write helpers;
a project that has neither gets them from here (standard library only), then points
`sqlite-pool` / `atomic-write-module` in `[tool.racelint]` at them.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Sequence

from .config import find_pyproject, load_config

HELPERS = {"db-pool": "db_pool.py", "fileio": "fileio.py", "thread-utils": "thread_utils.py"}


def template(name: str) -> str:
    return resources.files("cortex_racelint.templates").joinpath(HELPERS[name]).read_text(encoding="utf-8")


def _dotted(package_dir: Path, stem: str) -> str:
    """The import path of the new module in its project: relative to the folder of the nearest
    `pyproject.toml` (else the working folder), without a leading `src` (src layout)."""
    folder = package_dir.resolve()
    pyproject = find_pyproject(folder)
    root = pyproject.parent if pyproject is not None else Path.cwd().resolve()
    parts = folder.relative_to(root).parts if folder.is_relative_to(root) else ()
    if parts[:1] == ("src",):
        parts = parts[1:]
    return ".".join((*parts, stem))


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="racelint scaffold", description=__doc__.splitlines()[0])
    parser.add_argument("helper", choices=sorted(HELPERS))
    parser.add_argument("package_dir", type=Path, help="the package folder to write the module into")
    parser.add_argument("--force", action="store_true", help="overwrite an existing module")
    args = parser.parse_args(list(argv))
    target = args.package_dir / HELPERS[args.helper]
    if target.exists() and not args.force:
        print(f"racelint: error: {target} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    args.package_dir.mkdir(parents=True, exist_ok=True)
    init = args.package_dir / "__init__.py"
    if not init.exists():
        init.write_text("", encoding="utf-8")
    target.write_text(template(args.helper), encoding="utf-8")
    module = _dotted(args.package_dir, target.stem)
    key = "sqlite-pool" if args.helper == "db-pool" else "atomic-write-module"
    value = f"{module}:get_connection_pool" if args.helper == "db-pool" else module
    print(f"wrote {target}")
    if args.helper == "thread-utils":
        return 0
    config = load_config(args.package_dir)
    if value == (config.sqlite_pool if args.helper == "db-pool" else config.atomic_write_module):
        print(f"`{key}` already names it: nothing to configure")
    else:
        print(f'configure it: [tool.racelint] {key} = "{value}"')
    return 0
