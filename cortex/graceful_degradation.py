"""Graceful degradation when the LLM backend is unavailable.

Cortex keeps working without its LLM: it falls back to answers cached from
earlier successful calls, then to simple pattern matching ("install X"),
and finally to manual mode with instructions. A background monitor samples
backend health; the caller drains the samples and updates the mode.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from sqlite3 import Row
from typing import Callable, Optional

from cortex.utils.db_pool import get_connection_pool


class ServiceMode(str, Enum):
    FULL = "full"
    CACHED_ONLY = "cached_only"
    PATTERN_MATCHING = "pattern_matching"
    MANUAL = "manual"


@dataclass
class HealthSample:
    timestamp: float
    healthy: bool
    latency: float
    error: Optional[str] = None


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:install|add|setup|set up)\s+([\w.+-]+)", re.I), "sudo apt-get install -y {0}"),
    (re.compile(r"\b(?:remove|uninstall|delete)\s+([\w.+-]+)", re.I), "sudo apt-get remove -y {0}"),
    (re.compile(r"\b(?:update|upgrade)\b", re.I), "sudo apt-get update && sudo apt-get upgrade -y"),
    (re.compile(r"\bsearch\s+([\w.+-]+)", re.I), "apt-cache search {0}"),
]


def _default_health_check() -> bool:
    """Cheap local check: is any backend configured at all? (no network)"""
    return bool(os.environ.get("OPENAI_API_KEY")) or shutil.which("ollama") is not None


def _query_key(query: str) -> str:
    return hashlib.sha256(" ".join(query.lower().split()).encode()).hexdigest()


class GracefulDegradation:
    """Tracks backend health and answers queries in the best available mode."""

    _instance = None
    _instance_lock = threading.Lock()

    def __init__(
        self,
        db_path: str | Path | None = None,
        failure_threshold: int = 3,
        health_check: Optional[Callable[[], bool]] = None,
    ) -> None:
        self._lock = threading.Lock()
        path = Path(db_path) if db_path is not None else Path.home() / ".cortex" / "degradation.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self.failure_threshold = failure_threshold
        self.health_check = health_check or _default_health_check
        self.mode = ServiceMode.FULL
        self.consecutive_failures = 0
        self.samples: list[HealthSample] = []
        self._stop_event = threading.Event()
        self._monitor_thread: Optional[threading.Thread] = None
        self._init_db()

    @classmethod
    def get_instance(cls) -> "GracefulDegradation":
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def _init_db(self) -> None:
        with self._pool.get_connection() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS response_cache ("
                " key TEXT PRIMARY KEY, query TEXT NOT NULL, response TEXT NOT NULL, created_at REAL NOT NULL)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS health_events ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, healthy INTEGER NOT NULL, error TEXT)"
            )
            conn.commit()

    # -- health state ---------------------------------------------------
    def _log_event(self, healthy: bool, error: Optional[str] = None) -> None:
        with self._pool.get_connection() as conn:
            conn.execute(
                "INSERT INTO health_events (timestamp, healthy, error) VALUES (?, ?, ?)", (time.time(), int(healthy), error)
            )
            conn.commit()

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.mode = ServiceMode.FULL
        self._log_event(True)

    def record_failure(self, error: str) -> None:
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.failure_threshold:
            self.mode = ServiceMode.CACHED_ONLY if self.cached_count() else ServiceMode.PATTERN_MATCHING
        self._log_event(False, error)

    def recent_events(self, limit: int = 20) -> list[dict]:
        with self._pool.get_connection() as conn:
            conn.row_factory = Row
            rows = conn.execute("SELECT * FROM health_events ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    def status(self) -> dict:
        return {"mode": self.mode.value, "consecutive_failures": self.consecutive_failures,
                "cached_responses": self.cached_count()}

    # -- response cache -------------------------------------------------
    def cache_response(self, query: str, response: str) -> None:
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "INSERT OR REPLACE INTO response_cache (key, query, response, created_at) VALUES (?, ?, ?, ?)",
                (_query_key(query), query, response, time.time()),
            )
            conn.commit()

    def cached_response(self, query: str) -> Optional[str]:
        with self._pool.get_connection() as conn:
            row = conn.execute("SELECT response FROM response_cache WHERE key = ?", (_query_key(query),)).fetchone()
        return row[0] if row else None

    def cached_count(self) -> int:
        with self._pool.get_connection() as conn:
            n = conn.execute("SELECT COUNT(*) FROM response_cache").fetchone()[0]
        return n

    # -- answering --------------------------------------------------------
    def process_query(self, query: str, llm_call: Callable[[str], str]) -> dict:
        """Answer ``query`` with the LLM if possible, else degrade step by step."""
        if self.mode is ServiceMode.FULL or self.consecutive_failures < self.failure_threshold:
            try:
                response = llm_call(query)
            except Exception as exc:  # backend down, timeout, bad reply...
                self.record_failure(str(exc))
            else:
                self.record_success()
                self.cache_response(query, response)
                return {"response": response, "source": "llm", "mode": self.mode.value}
        cached = self.cached_response(query)
        if cached is not None:
            return {"response": cached, "source": "cache", "mode": self.mode.value}
        for pattern, template in _PATTERNS:
            match = pattern.search(query)
            if match:
                return {"response": template.format(*match.groups()), "source": "pattern", "mode": self.mode.value}
        return {"response": f"Cortex is offline. Try: apt-cache search {query.split()[-1] if query.split() else ''}",
                "source": "manual", "mode": ServiceMode.MANUAL.value}

    # -- background monitor -----------------------------------------------
    def start_monitor(self, interval: float = 30.0) -> None:
        if self._monitor_thread is not None and self._monitor_thread.is_alive():
            return
        self._stop_event.clear()
        self._monitor_thread = threading.Thread(target=self._monitor_loop, args=(interval,), daemon=True)
        self._monitor_thread.start()

    def stop_monitor(self) -> None:
        self._stop_event.set()
        if self._monitor_thread is not None:
            self._monitor_thread.join(timeout=5)
            self._monitor_thread = None

    def _monitor_loop(self, interval: float) -> None:
        while not self._stop_event.is_set():
            started = time.monotonic()
            try:
                healthy, error = bool(self.health_check()), None
            except Exception as exc:
                healthy, error = False, str(exc)
            sample = HealthSample(time.time(), healthy, time.monotonic() - started, error)
            with self._lock:
                self.samples.append(sample)
            self._stop_event.wait(interval)

    def drain_samples(self) -> list[HealthSample]:
        """Take the samples collected since the last drain."""
        with self._lock:
            samples = self.samples
            self.samples = []
        return samples

    def apply_samples(self) -> ServiceMode:
        """Drain monitor samples and update the mode from them."""
        for sample in self.drain_samples():
            if sample.healthy:
                self.record_success()
            else:
                self.record_failure(sample.error or "health check failed")
        return self.mode


def get_degradation_manager() -> GracefulDegradation:
    return GracefulDegradation.get_instance()
