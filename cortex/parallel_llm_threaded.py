"""Thread-pool execution of LLM requests, designed for free-threaded Python (3.13t/3.14t).

`cortex.parallel_llm` runs one batch of requests at a time on a thread pool and keeps
its progress counters under a lock (racelint's fix). This module is the version written
for free-threading from the start:

* one shared, bounded `ThreadPoolExecutor` serves any number of batches at once, so
  `cortex install a b c` issued from several front-ends never oversubscribes the CPU;
* progress is kept in a lock-guarded snapshot (`ProgressSnapshot`), never in plain
  attributes that workers read-modify-write;
* results keep request order per batch, and one failing request never sinks the batch;
* nothing here relies on the GIL: every piece of shared state has exactly one lock.

On a GIL build the speed-up comes from overlapping the providers' I/O latency; on a
free-threaded build CPU work in the provider (tokenising, parsing replies) also runs
in parallel.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional, Sequence

from cortex.llm_provider import LLMProvider, OfflineProvider
from cortex.parallel_llm import LLMRequest, LLMResult, package_request


@dataclass(frozen=True)
class ProgressSnapshot:
    total: int
    completed: int
    failed: int
    total_tokens: int


class ThreadedLLMExecutor:
    """Runs batches of requests on one shared pool; thread-safe in every method."""

    def __init__(self, provider: LLMProvider, max_workers: int = 8) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self.provider = provider
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._total = 0
        self._completed = 0
        self._failed = 0
        self._tokens = 0
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="cortex-llm-ft")
        return self._pool

    def submit_batch(self, requests: Sequence[LLMRequest]) -> list["Future[LLMResult]"]:
        """Queue a batch; the futures resolve in any order, the list keeps request order."""
        with self._lock:
            self._total += len(requests)
        pool = self._executor()
        return [pool.submit(self._run_one, request) for request in requests]

    def execute(self, requests: Sequence[LLMRequest]) -> list[LLMResult]:
        return [future.result() for future in self.submit_batch(requests)]

    def execute_batches(self, batches: Sequence[Sequence[LLMRequest]]) -> list[list[LLMResult]]:
        """Several batches at once, sharing the pool; one result list per batch."""
        pending = [self.submit_batch(batch) for batch in batches]
        return [[future.result() for future in futures] for futures in pending]

    def _run_one(self, request: LLMRequest) -> LLMResult:
        started = time.monotonic()
        messages = [{"role": "system", "content": request.system}, {"role": "user", "content": request.prompt}]
        try:
            response = self.provider.complete(messages)
        except Exception as exc:  # one bad package must not sink the batch
            with self._lock:
                self._failed += 1
                self._completed += 1
            return LLMResult(request.id, "", 0, time.monotonic() - started, error=str(exc))
        with self._lock:
            self._completed += 1
            self._tokens += response.tokens
        return LLMResult(request.id, response.text, response.tokens, time.monotonic() - started)

    def progress(self) -> ProgressSnapshot:
        """A consistent view of all counters (never a mix of two moments)."""
        with self._lock:
            return ProgressSnapshot(self._total, self._completed, self._failed, self._tokens)

    def shutdown(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self) -> "ThreadedLLMExecutor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


def query_packages_threaded(
    packages: Sequence[str], provider: Optional[LLMProvider] = None, max_workers: int = 8
) -> list[LLMResult]:
    """One LLM answer per package, in the order given, all requests in flight at once."""
    with ThreadedLLMExecutor(provider if provider is not None else OfflineProvider(), max_workers) as executor:
        return executor.execute([package_request(p) for p in packages])
