"""The singleton race, reproduced deterministically, and gone after `racelint --fix`.

The constructor is held on a barrier for 16 threads (DESIGN.md section 4): on the racy
module all 16 get inside the window and build 16 instances, every run, on a GIL build;
on the module racelint fixed, one thread builds, the barrier times out (the lock
serialised the window) and all 16 callers share one instance.
"""

from __future__ import annotations

import pytest

from cortex_racelint import fix_source
from cortex_racelint.racetest import WindowHold, hold_constructor, load_module_from_source, run_together

from .conftest import FIXTURES

THREADS = 16
SOURCE = (FIXTURES / "runtime" / "lazy_service.py").read_bytes()


def race(source: bytes, timeout: float) -> tuple[set[int], WindowHold]:
    module = load_module_from_source(source, "lazy_service")
    hold = WindowHold(parties=THREADS, timeout=timeout)
    module.Service = hold_constructor(module.Service, hold)
    run = run_together(THREADS, lambda _: id(module.get_service()))
    assert not run.errors
    return set(run.results), hold


@pytest.mark.parametrize("attempt", range(3))
def test_racy_singleton_builds_several_instances(attempt):
    instances, hold = race(SOURCE, timeout=10.0)
    assert len(instances) == THREADS
    assert hold.timeouts == 0


@pytest.mark.parametrize("attempt", range(3))
def test_fixed_singleton_builds_one_instance_and_serialises_the_window(attempt):
    fixed = fix_source(SOURCE, "lazy_service.py").new_source
    assert fixed is not None and b"with _service_lock:" in fixed
    instances, hold = race(fixed, timeout=0.3)
    assert len(instances) == 1
    assert hold.arrivals == 1 and hold.timeouts == 1
