"""Probe every configured LLM provider at once and record the outcome in the health monitor.

`cortex doctor` calls `check_providers` with one probe per provider (a cheap
models-list request); the probes run on a small thread pool so a slow provider
does not hold up the others.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

from cortex.health_monitor import get_health_monitor

Probe = Callable[[], bool]


def probe(provider: str, check: Probe) -> bool:
    started = time.monotonic()
    try:
        ok = bool(check())
    except Exception:  # a provider that raises is down, not a crash of the doctor
        ok = False
    get_health_monitor().record_check(provider, ok, time.monotonic() - started)
    return ok


def check_providers(checks: Iterable[tuple[str, Probe]], workers: int = 4) -> list[bool]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(probe, provider, check) for provider, check in checks]
        return [future.result() for future in futures]
