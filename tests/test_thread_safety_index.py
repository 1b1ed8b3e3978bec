"""Races only the project index sees (issue 18), run against the legacy and the migrated Cortex tree.

`cortex.health_monitor` starts no thread; `cortex.health_checks` runs its probes on a thread
pool, each recording into the process-wide monitor. The window of a per-provider counter
update (`self.probes[p] = self.probes.get(p, 0) + 1`) is held open at its `get()` until both
probes are inside: on the legacy tree one count is lost every time; on the migrated tree the
update is under the monitor's lock, so only one probe gets in and the barrier times out.
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
    """A per-provider count table whose read waits in the race window."""

    def __init__(self, hold: WindowHold) -> None:
        super().__init__()
        self.hold = hold

    def get(self, key, default=None):  # type: ignore[override]
        value = super().get(key, default)
        self.hold()
        return value


def test_provider_probes_on_worker_threads_lose_no_count(tree):
    monitors = tree.load("health_monitor")
    checks = tree.load("health_checks", fresh=False)
    monitor = monitors.get_health_monitor()
    hold = WindowHold(parties=2, timeout=0.5)
    monitor.probes = _HeldCounts(hold)
    results = checks.check_providers([("openai", lambda: True), ("openai", lambda: True)], workers=2)
    assert results == [True, True]
    lost = monitor.probes["openai"] != 2
    if tree.racy:
        assert lost, "the legacy tree should lose a probe count, but it did not"
        assert hold.timeouts == 0
    else:
        assert not lost, f"the migrated tree lost a probe count: {dict(monitor.probes)}"
        assert hold.arrivals == 2 and hold.timeouts == 2, "the lock must serialise the window"
