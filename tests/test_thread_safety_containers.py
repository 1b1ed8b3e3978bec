"""Objects in a module-level container indexed with a constant key (issue 18), run against the legacy
and the migrated Cortex tree.

`cortex.request_stats` keeps one `RequestStats` per key in `_STATS`; every request, on whichever pool
worker, counts into the `TOTAL` entry. The window of `self.requests += 1` is held open at its read
until both workers are inside: on the legacy tree one request is lost every time; on the migrated tree
the update is under the class's lock, so only one worker gets in and the barrier times out.
"""

from __future__ import annotations

import pytest

from cortex_racelint.racetest import WindowHold

from .cortex_trees import TREES, loaded_tree, purge_cortex_modules


@pytest.fixture(params=TREES)
def tree(request):
    yield loaded_tree(request.param)
    purge_cortex_modules()


def _held_stats(module, hold: WindowHold):
    """A `RequestStats` whose `requests` read waits in the race window."""

    class HeldStats(module.RequestStats):
        @property
        def requests(self) -> int:
            value = self.__dict__.get("_requests", 0)
            hold()
            return value

        @requests.setter
        def requests(self, value: int) -> None:
            self.__dict__["_requests"] = value

    return HeldStats()


def test_requests_on_pool_workers_lose_no_count_in_the_shared_entry(tree):
    stats = tree.load("request_stats")
    hold = WindowHold(parties=2, timeout=0.5)
    stats._STATS.clear()
    entry = stats._STATS[stats.TOTAL] = _held_stats(stats, hold)
    results = stats.send_all([lambda: True, lambda: False], workers=2)
    assert results == [True, False]
    counted = (entry.__dict__["_requests"], entry.failures)  # not through the held read
    lost = counted != (2, 1)
    if tree.racy:
        assert lost, "the legacy tree should lose a request count, but it did not"
        assert hold.timeouts == 0
    else:
        assert not lost, f"the migrated tree lost a request count: {counted}"
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must serialise the window"
