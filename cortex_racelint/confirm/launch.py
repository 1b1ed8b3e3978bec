"""How the confirm children start: fast, and with their scratch files on a RAM disk when there is one."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

#: runs a module of this package without importing `cortex_racelint/__init__.py` (and so LibCST, ~0.8 s):
#: the children need only the confirm modules, and start once per finding
LIGHT_START = (
    "import sys, types\n"
    "for name, path in ((%r, %r), (%r, %r)):\n"
    "    package = types.ModuleType(name); package.__path__ = [path]; sys.modules[name] = package\n"
    "import importlib; importlib.import_module(sys.argv.pop(1)).main(sys.argv[1:])\n"
)


def light_command(module: str) -> list[str]:
    """`python -c ...` running `module.main(argv)` with the package's `__init__` files skipped."""
    confirm = Path(__file__).resolve().parent
    root = confirm.parent
    code = LIGHT_START % ("cortex_racelint", str(root), "cortex_racelint.confirm", str(confirm))
    return [sys.executable, "-c", code, module]


def scratch_dir() -> Optional[str]:
    """Where sandboxes go: a RAM disk when there is one (each execution's HOME gets fresh SQLite files and
    their fsyncs cost more than the exploration), else the system temp folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
