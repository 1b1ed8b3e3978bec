"""Two races `racelint confirm` reproduces since issue 18's confirm2 work, run against the legacy and the
migrated Cortex tree (barrier-held windows, no sleeps as synchronisation).

* `cortex.usage_ledger` (CRL406): the process-wide `UsageLedger` is `json.dump`-ed by the flusher thread
  while the executor's workers `record()` into it. The window is held inside the walk (a recorded value
  whose `__len__`, which the encoder calls when it reaches it, waits at the barrier until another call is
  recorded). Legacy: `RuntimeError: dictionary changed size during iteration`; migrated: `record()` waits
  for the lock the dump holds, the barrier times out, and the saved file is whole.
* `cortex.model_catalog` (CRL302): `refresh()` writes the catalog file under the lock, `names()` reads it
  without. The window is held inside the write, after the file was truncated (the models are consumed
  inside the `with open(..., "w")`). Legacy: the reader finds an empty file (`JSONDecodeError`); migrated:
  the reader waits for the lock and reads the whole catalog.
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


class _HeldUsage(dict):
    """A recorded usage that holds the window open the first time the encoder looks at it."""

    def __init__(self, hold: WindowHold, **fields) -> None:
        super().__init__(**fields)
        self._hold: WindowHold | None = hold

    def __len__(self) -> int:
        hold, self._hold = self._hold, None
        if hold is not None:
            hold()
        return super().__len__()


def _wait_for(hold: WindowHold) -> None:
    while hold.arrivals == 0:  # the other thread is inside the window
        threading.Event().wait(0.001)


def test_a_call_recorded_while_the_flusher_dumps_the_ledger_does_not_crash_it(tree, tmp_path):
    ledger = tree.load("usage_ledger").UsageLedger()
    hold = WindowHold(parties=2, timeout=0.5)
    ledger.record("call-1", 120)
    ledger.record("call-2", _HeldUsage(hold, prompt=30, completion=90))
    ledger.record("call-3", 40)
    path = tmp_path / "usage.json"
    recorded = threading.Event()

    def body(index: int) -> None:
        if index == 0:
            ledger.save(path)  # what the flusher thread runs
        else:
            _wait_for(hold)
            ledger.record("call-4", 75)  # what an executor worker runs
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
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must keep record() out of the dump"
        assert sorted(json.loads(path.read_text(encoding="utf-8"))) == ["call-1", "call-2", "call-3"]


def test_accounting_on_one_thread_is_unchanged(tree, tmp_path):
    module = tree.load("usage_ledger")
    total = module.account([("a", 3), ("b", 4)], tmp_path / "usage.json")
    assert total == 7 and module.get_usage_ledger().calls == {"a": 3, "b": 4}
    module.get_usage_ledger().save(tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == {"a": 3, "b": 4}


def test_the_model_picker_never_reads_a_half_written_catalog(tree, tmp_path):
    catalog = tree.load("model_catalog").ModelCatalog(tmp_path)
    catalog.refresh(["tinyllama"])
    hold = WindowHold(parties=2, timeout=0.5)
    seen: list[list[str]] = []

    def models():
        yield "llama3"
        hold()  # the catalog file is open for writing (truncated), the writers' lock held
        yield "mistral"

    def body(index: int) -> None:
        if index == 0:
            catalog.refresh(models())
        else:
            _wait_for(hold)
            try:
                seen.append(catalog.names())
            finally:
                hold()

    run = run_together(2, body)
    if tree.racy:
        assert [type(e).__name__ for e in run.errors] == ["JSONDecodeError"], run.errors
        assert hold.arrivals == 2 and hold.timeouts == 0
    else:
        assert run.errors == [] and seen == [["llama3", "mistral"]]
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must keep names() out of the write"
    assert catalog.names() == ["llama3", "mistral"]


def test_the_catalog_round_trips_on_one_thread(tree, tmp_path):
    catalog = tree.load("model_catalog").ModelCatalog(tmp_path)
    catalog.refresh(iter(["phi3", "gemma"]))
    assert catalog.names() == ["phi3", "gemma"]
