"""The two Cortex trees (legacy and migrated) and how to import one of them.

Both are the package `cortex`, so importing one means dropping every `cortex*` module
first; tests that use them restore a clean `sys.modules` afterwards.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LEGACY_ROOT = REPO_ROOT / "fixtures" / "cortex_legacy"
MIGRATED_ROOT = REPO_ROOT

TREES = [pytest.param(LEGACY_ROOT, id="legacy")]
if (MIGRATED_ROOT / "cortex" / "transaction_history.py").exists():
    TREES.append(pytest.param(MIGRATED_ROOT, id="migrated"))


def purge_cortex_modules() -> None:
    for name in list(sys.modules):
        if name == "cortex" or name.startswith("cortex."):
            del sys.modules[name]


def import_cortex(root: Path, module_name: str, *, fresh: bool = True) -> ModuleType:
    """Import ``module_name`` (e.g. ``"cortex.semantic_cache"``) from the tree at ``root``.

    With ``fresh`` (the default) every ``cortex`` module is dropped first, so
    the import really comes from ``root`` and module-level singletons start
    empty. ``sys.path`` is restored afterwards; imported modules stay loaded
    (submodules imported later resolve through the package's ``__path__``).
    """
    if not module_name.startswith("cortex"):
        module_name = f"cortex.{module_name}"
    if fresh:
        purge_cortex_modules()
    saved_path = list(sys.path)
    sys.path.insert(0, str(root))
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(module_name)
    finally:
        sys.path[:] = saved_path
    expected = (Path(root) / "cortex").resolve()
    package_file = Path(sys.modules["cortex"].__file__).resolve()
    assert package_file.parent == expected, f"imported {package_file}, wanted a module under {expected}"
    return module


def loaded_tree(root: Path) -> SimpleNamespace:
    """One tree for a runtime race test: `root`, whether it is the racy legacy one, and `load(name)`
    importing a module from it (`tree` fixtures yield it and purge the `cortex` modules after)."""
    return SimpleNamespace(
        root=root, racy=root == LEGACY_ROOT, load=lambda name, fresh=True: import_cortex(root, name, fresh=fresh)
    )

