"""Ask the LLM about several packages at once.

``cortex install docker nginx postgresql`` needs one LLM answer per
package; asking them one after another makes the user wait for the sum of
the latencies. :class:`ParallelLLMExecutor` sends them through a thread
pool and keeps running totals for the progress display.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional, Sequence

from cortex.llm_provider import LLMProvider, OfflineProvider

DEFAULT_SYSTEM_PROMPT = (
    "You are Cortex, a Linux package assistant. Reply with the shell commands "
    "needed, one per line, for Ubuntu/Debian unless told otherwise."
)


@dataclass(frozen=True)
class LLMRequest:
    id: str
    prompt: str
    system: str = DEFAULT_SYSTEM_PROMPT


@dataclass
class LLMResult:
    request_id: str
    text: str
    tokens: int
    latency: float
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None


def package_request(package: str, distro: str = "Ubuntu") -> LLMRequest:
    return LLMRequest(id=package, prompt=f"How do I install {package} on {distro}?")


class ParallelLLMExecutor:
    """Runs requests concurrently; results come back in request order."""
    _lock = threading.Lock()

    def __init__(self, provider: LLMProvider, max_workers: int = 4) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self.provider = provider
        self.max_workers = max_workers
        self.total = 0
        self.completed = 0
        self.failed = 0
        self.total_tokens = 0

    def execute(self, requests: Sequence[LLMRequest]) -> list[LLMResult]:
        self.total = len(requests)
        self.completed = 0
        self.failed = 0
        self.total_tokens = 0
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="cortex-llm") as executor:
            futures = [executor.submit(self._run_one, request) for request in requests]
            return [future.result() for future in futures]

    def _run_one(self, request: LLMRequest) -> LLMResult:
        started = time.monotonic()
        messages = [{"role": "system", "content": request.system}, {"role": "user", "content": request.prompt}]
        try:
            response = self.provider.complete(messages)
        except Exception as exc:  # one bad package must not sink the batch
            with self._lock:
                self.failed += 1
                self.completed += 1
            return LLMResult(request.id, "", 0, time.monotonic() - started, error=str(exc))
        with self._lock:
            self.completed += 1
            self.total_tokens += response.tokens
        return LLMResult(request.id, response.text, response.tokens, time.monotonic() - started)

    def progress(self) -> tuple[int, int]:
        """(completed, total), polled by the spinner on the main thread."""
        with self._lock:
            return self.completed, self.total

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"total": self.total, "completed": self.completed, "failed": self.failed,
                    "total_tokens": self.total_tokens}


def query_packages(
    packages: Sequence[str],
    provider: Optional[LLMProvider] = None,
    max_workers: int = 4,
) -> list[LLMResult]:
    """One LLM answer per package, in the order given."""
    executor = ParallelLLMExecutor(provider if provider is not None else OfflineProvider(), max_workers=max_workers)
    return executor.execute([package_request(p) for p in packages])
