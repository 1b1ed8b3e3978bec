"""Request statistics of the LLM router, kept in a module-level table.

Every request the router sends, on whichever worker thread, counts into the table's
`TOTAL` entry (the dashboard's "all providers" row); per-provider rows are kept
by the provider's own worker and are not shared.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

TOTAL = "total"


class RequestStats:
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0

    def record(self, ok: bool) -> None:
        with self._lock:
            self.requests += 1
        if not ok:
            with self._lock:
                self.failures += 1


_STATS: dict[str, RequestStats] = {}


def send(request: Callable[[], bool]) -> bool:
    try:
        ok = bool(request())
    except Exception:  # a failed request is counted, not raised to the pool
        ok = False
    _STATS.setdefault(TOTAL, RequestStats()).record(ok)
    _STATS.setdefault(f"thread-{threading.get_ident()}", RequestStats()).record(ok)
    return ok


def send_all(requests: Iterable[Callable[[], bool]], workers: int = 4) -> list[bool]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(send, request) for request in requests]
        return [future.result() for future in futures]


def totals() -> tuple[int, int]:
    stats = _STATS.get(TOTAL)
    return (stats.requests, stats.failures) if stats is not None else (0, 0)
