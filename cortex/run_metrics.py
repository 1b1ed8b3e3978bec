"""Per-command run metrics for `cortex stats`.

Every command run records its outcome here (`record()`), possibly from several worker
threads, and a background saver writes the whole table to disk every few seconds so that a
crash loses little. `stop()` ends the saver and writes the final table.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Optional

from cortex.utils.fileio import atomic_write


class RunMetrics:
    """Run outcomes by run id, saved as one JSON object."""

    def __init__(self, path: Path, interval: float = 5.0) -> None:
        self._lock = threading.Lock()
        self.path = Path(path)
        self.interval = interval
        self.runs: dict[str, dict] = {}
        self._stop = threading.Event()
        self._saver: Optional[threading.Thread] = None

    def start(self) -> None:
        self._saver = threading.Thread(target=self._autosave, name="metrics-saver", daemon=True)
        self._saver.start()

    def record(self, run_id: str, outcome: dict) -> None:
        with self._lock:
            self.runs[run_id] = outcome

    def forget(self, run_id: str) -> None:
        with self._lock:
            self.runs.pop(run_id, None)

    def _write(self) -> None:
        with self._lock:
            with atomic_write(self.path, "w", encoding="utf-8") as f:
                json.dump(self.runs, f, indent=2)

    def _autosave(self) -> None:
        while not self._stop.wait(self.interval):
            self._write()

    def stop(self) -> None:
        self._stop.set()
        if self._saver is not None:
            self._saver.join()
        self._write()
