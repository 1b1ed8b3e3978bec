"""Load-modify-save of a shared JSON log (CRL304), run against the legacy and the migrated Cortex tree.

`cortex.install_log.install_many()` installs on a thread pool and every worker calls the one
log's `record()`: load the JSON list (`_read()`), append its entry, save the list (`_write()`).
The window is held open right after the load until both workers have loaded: on the legacy tree
both load the same (empty) list and the later save drops the other's entry, every time; on the
migrated tree the lock from the load through the save lets one worker in at a time, so the
barrier times out for each and both entries stay.
"""

from __future__ import annotations

import json
import threading

import pytest

from cortex_racelint.racetest import WindowHold

from .cortex_trees import TREES, loaded_tree, purge_cortex_modules


@pytest.fixture(params=TREES)
def tree(request):
    yield loaded_tree(request.param)
    purge_cortex_modules()


def _held_log(module, path, hold: WindowHold):
    saving = threading.Lock()

    class HeldLog(module.InstallLog):  # the log with the window held open after each load
        def _read(self):
            entries = super()._read()
            hold()
            return entries

        def _write(self, entries):
            # one save at a time: two released together may interleave their bytes in the one file
            # (another way to lose data); the race this test pins is the entry lost between load and save
            with saving:
                super()._write(entries)

    return HeldLog(path)


def test_parallel_installs_lose_no_log_entry(tree, tmp_path):
    module = tree.load("install_log")
    hold = WindowHold(parties=2, timeout=0.5)
    log = _held_log(module, tmp_path / "install_log.json", hold)
    results = module.install_many(["pyyaml", "pytest"], install=lambda package: True, log=log, workers=2)
    assert results == [True, True]
    kept = sorted(entry["package"] for entry in json.loads(log.path.read_text(encoding="utf-8")))
    if tree.racy:
        assert len(kept) == 1, f"the legacy tree should lose one of the two entries, but kept {kept}"
        assert hold.arrivals == 2 and hold.timeouts == 0
    else:
        assert kept == ["pytest", "pyyaml"], f"the migrated tree lost an entry: {kept}"
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must serialise the load-modify-save window"


def test_one_thread_sees_every_entry(tree, tmp_path):
    """The fix changes nothing for one caller: entries in order, counts returned."""
    log = tree.load("install_log").InstallLog(tmp_path / "install_log.json")
    assert [log.record("vim", True), log.record("git", False)] == [1, 2]
    assert [(e["package"], e["ok"]) for e in log.entries()] == [("vim", True), ("git", False)]
