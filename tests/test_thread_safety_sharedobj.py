"""An object handed to threads (issue 18), run against the legacy and the migrated Cortex tree.

`cortex.install_progress.install_all()` makes one tracker and hands the same object to every
worker thread through `Thread(args=...)`; no global names it. The window of the per-source
count (`self.per_source[s] = self.per_source.get(s, 0) + 1`) is held open at its `get()` until
both workers are inside: on the legacy tree one install is lost from the counts every time; on
the migrated tree the update is under the tracker's lock, so only one worker gets in and the
barrier times out.
"""

from __future__ import annotations

import pytest

from cortex_racelint.racetest import WindowHold

from .cortex_trees import TREES, loaded_tree, purge_cortex_modules


@pytest.fixture(params=TREES)
def tree(request):
    yield loaded_tree(request.param)
    purge_cortex_modules()


class _HeldCounts(dict):
    """A per-source count table whose read waits in the race window."""

    def __init__(self, hold: WindowHold) -> None:
        super().__init__()
        self.hold = hold

    def get(self, key, default=None):  # type: ignore[override]
        value = super().get(key, default)
        self.hold()
        return value


def test_workers_handed_one_tracker_lose_no_install(tree, monkeypatch):
    module = tree.load("install_progress")
    hold = WindowHold(parties=2, timeout=0.5)
    made = []

    class Held(module.InstallProgress):  # the object install_all makes, with the window held open
        def __init__(self) -> None:
            super().__init__()
            self.per_source = _HeldCounts(hold)
            made.append(self)

    monkeypatch.setattr(module, "InstallProgress", Held)
    counts = module.install_all(["pyyaml", "pytest"], install=lambda package: True)
    assert len(made) == 1, "install_all should make one tracker for the run"
    plain = dict(counts)  # not through the held `get`
    lost = plain != {"pip": 2}
    if tree.racy:
        assert lost, "the legacy tree should lose an install from the counts, but it did not"
        assert hold.timeouts == 0
    else:
        assert not lost, f"the migrated tree lost an install: {counts}, {made[0].installed}"
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must serialise the window"
