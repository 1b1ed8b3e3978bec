"""Linting leaves no reference cycles behind, and a run's collector settings are undone after it.

`gctuning` collects the young generation less often during a run; that is only free when
each module's trees are released by reference counting, i.e. when nothing of ours forms
a cycle through them (bound methods cached on an instance, an analysis pointing back at
the context that memoises it, a recursive closure).
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from cortex_racelint.engine import gctuning
from cortex_racelint.api import run_files
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: one module per family, each reaching LibCST and its family's analyses
SAMPLES = [
    FIXTURES / "singletons" / "global_is_none.py",
    FIXTURES / "singletons" / "keyed_cache.py",
    FIXTURES / "singletons" / "broken_dcl.py",
    FIXTURES / "file_writes" / "class_paths.py",
    FIXTURES / "file_writes" / "rc_append.py",
    FIXTURES / "sqlite" / "assign_close.py",
    FIXTURES / "shared_state" / "spinner.py",
]
OUR_MODULES = ("cortex_racelint", "libcst", "ast")


def _cyclic_garbage_of_ours(action) -> list[str]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        found = [type(o).__module__ + "." + type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    return sorted({name for name in found if name.split(".")[0] in OUR_MODULES})


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_linting_a_module_leaves_no_cycles(sample: Path) -> None:
    assert sample.is_file(), sample
    raw = sample.read_bytes()
    results = []
    leftovers = _cyclic_garbage_of_ours(lambda: results.append(lint_source(raw, str(sample), Config(select=("ALL", "CRL107")))))
    assert results[0].error is None and results[0].findings, "the sample must reach the rules"
    assert leftovers == []


def test_a_run_restores_the_collector_settings(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("_x = None\ndef get():\n    global _x\n    if _x is None:\n        _x = object()\n    return _x\n")
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    seen = []

    def spy(*args, **kwargs):
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
        return original(*args, **kwargs)

    import cortex_racelint.api as api

    original = api._run_files
    api._run_files = spy
    try:
        results = run_files([str(path)], Config(), fix=False, jobs=1)
    finally:
        api._run_files = original
    assert results[0].findings
    assert seen and seen[0][0] == gctuning.RUN_THRESHOLD and seen[0][1] > 0  # tuned during the run
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen  # and undone after it


def test_overlapping_runs_restore_the_settings_from_before_the_first():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    first, second = gctuning.tuned_collector(), gctuning.tuned_collector()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second still runs
    assert gc.get_threshold()[0] == gctuning.RUN_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
