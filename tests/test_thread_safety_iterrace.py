"""A dict walked by `json.dump` while another thread adds to it (CRL405), run against the legacy and
the migrated Cortex tree.

`cortex.run_metrics.RunMetrics` keeps run outcomes in `self.runs`; `record()` adds one, and the
saver thread's `_write()` dumps the whole dict. The window is held open inside the walk: one
recorded outcome is a dict whose `__len__` (which the encoder calls when it reaches it) waits at
a barrier until the other thread has recorded a new run. On the legacy tree the new key lands
mid-walk and the encoder raises `RuntimeError: dictionary changed size during iteration`, every
time; on the migrated tree `record()` waits for the lock the walk holds, so the barrier times out
for both and the saved file is whole.
"""

from __future__ import annotations

import json
import threading

import pytest

from cortex_racelint.racetest import WindowHold, run_together

from .cortex_trees import TREES, loaded_tree, purge_cortex_modules


@pytest.fixture(params=TREES)
def tree(request):
    yield loaded_tree(request.param)
    purge_cortex_modules()


class _HeldOutcome(dict):
    """An outcome that holds the race window open the first time the encoder looks at it."""

    def __init__(self, hold: WindowHold, **fields) -> None:
        super().__init__(**fields)
        self._hold: WindowHold | None = hold

    def __len__(self) -> int:
        hold, self._hold = self._hold, None
        if hold is not None:
            hold()
        return super().__len__()


def test_a_run_recorded_while_the_saver_dumps_does_not_crash_it(tree, tmp_path):
    metrics = tree.load("run_metrics").RunMetrics(tmp_path / "metrics.json")
    hold = WindowHold(parties=2, timeout=0.5)
    metrics.record("run-1", {"command": "install vim", "ok": True})
    metrics.record("run-2", _HeldOutcome(hold, command="install git", ok=False))
    metrics.record("run-3", {"command": "remove nano", "ok": True})
    recorded = threading.Event()

    def body(index: int) -> None:
        if index == 0:
            metrics._write()  # what the saver thread runs
        else:
            while hold.arrivals == 0:  # the walk is inside the window
                threading.Event().wait(0.001)
            metrics.record("run-4", {"command": "install curl", "ok": True})
            recorded.set()
            hold()

    run = run_together(2, body)
    assert recorded.is_set()
    if tree.racy:
        assert [type(e) for e in run.errors] == [RuntimeError], run.errors
        assert "changed size during iteration" in str(run.errors[0])
        assert hold.arrivals == 2 and hold.timeouts == 0
    else:
        assert run.errors == []
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must keep record() out of the walk"
        saved = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
        assert sorted(saved) == ["run-1", "run-2", "run-3"]  # run-4 came after this save
        metrics._write()
        assert sorted(json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))) == [
            "run-1", "run-2", "run-3", "run-4",
        ]


def test_one_thread_records_forgets_and_saves(tree, tmp_path):
    """The fix changes nothing for one caller: the saved table is the recorded one."""
    metrics = tree.load("run_metrics").RunMetrics(tmp_path / "metrics.json", interval=0.01)
    metrics.start()
    metrics.record("a", {"ok": True})
    metrics.record("b", {"ok": False})
    metrics.forget("a")
    metrics.stop()
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8")) == {"b": {"ok": False}}
