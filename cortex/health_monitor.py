"""Provider health for Cortex: how often each LLM provider was probed, failed, and how slow it was.

One monitor per process (`get_health_monitor()`): the provider probes in
`health_checks` record into it from their worker threads, and the CLI's
`cortex status` reads the summary.
"""

from __future__ import annotations

import threading
from typing import Optional


class HealthMonitor:
    """Counters per provider; a provider is degraded after `DEGRADED_AFTER` failures."""
    _lock = threading.Lock()

    DEGRADED_AFTER = 3

    def __init__(self) -> None:
        self.checks = 0
        self.failures = 0
        self.latency_total = 0.0
        self.probes: dict[str, int] = {}
        self.failed: dict[str, int] = {}

    def record_check(self, provider: str, ok: bool, latency: float) -> None:
        with self._lock:
            self.checks += 1
            self.latency_total += max(latency, 0.0)
            self.probes[provider] = self.probes.get(provider, 0) + 1
        if not ok:
            with self._lock:
                self.failures += 1
                self.failed[provider] = self.failed.get(provider, 0) + 1

    def is_degraded(self, provider: str) -> bool:
        return self.failed.get(provider, 0) >= self.DEGRADED_AFTER

    def summary(self) -> dict:
        average: Optional[float] = self.latency_total / self.checks if self.checks else None
        return {
            "checks": self.checks,
            "failures": self.failures,
            "average_latency": average,
            "probes": dict(self.probes),
            "degraded": sorted(p for p in self.failed if self.is_degraded(p)),
        }


_monitor = HealthMonitor()


def get_health_monitor() -> HealthMonitor:
    return _monitor
