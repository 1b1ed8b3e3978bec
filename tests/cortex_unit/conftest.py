"""Fixtures for the Cortex unit tests.

Every test runs against each Cortex tree that exists:

* ``legacy``   – ``fixtures/cortex_legacy/cortex`` (before the migration), always;
* ``migrated`` – ``<repo>/cortex`` (what ``racelint --fix`` produced), once it exists.

Both trees are the same package name (``cortex``), so :func:`import_cortex`
drops every ``cortex``/``cortex.*`` module before importing from the wanted
root. HOME points at a temporary folder so defaults under ``~/.cortex``
never touch the real home directory.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator

import pytest

from ..cortex_trees import TREES as _TREES, import_cortex, purge_cortex_modules as _purge_cortex_modules

@pytest.fixture(params=_TREES)
def cortex_root(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Root folder of the Cortex tree under test, with HOME redirected to a temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("SHELL", "/bin/bash")
    yield request.param
    _purge_cortex_modules()  # later tests import `cortex` (and cortex.utils) from the repository root


@pytest.fixture
def home(cortex_root: Path, tmp_path: Path) -> Path:
    """The temporary HOME used by ``cortex_root``."""
    return tmp_path / "home"


@pytest.fixture
def load(cortex_root: Path) -> Callable[[str], ModuleType]:
    """``load("semantic_cache")`` imports from the tree under test.

    The first call in a test starts from a clean ``sys.modules``; later calls
    in the same test reuse the already-loaded package so classes are shared
    between modules (e.g. ``parallel_llm`` and ``llm_provider``).
    """
    state = {"fresh": True}

    def _load(module_name: str) -> ModuleType:
        module = import_cortex(cortex_root, module_name, fresh=state["fresh"])
        state["fresh"] = False
        return module

    return _load
