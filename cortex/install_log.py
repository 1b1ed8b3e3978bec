"""Install log: every finished install appends an entry to a JSON list on disk.

`cortex install --parallel` installs on a thread pool (`install_many()`); each worker records
its package in the one log when it finishes, and `cortex history --installs` reads it back.
The log keeps the last `MAX_ENTRIES` entries.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Optional

MAX_ENTRIES = 500


def default_log_path() -> Path:
    home = Path(os.environ.get("CORTEX_HOME", Path.home() / ".cortex"))
    return home / "install_log.json"


class InstallLog:
    """The install entries, oldest first, as a JSON list in `path`."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        self.path = Path(path) if path is not None else default_log_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as f:
            return json.load(f)

    def _write(self, entries: list[dict]) -> None:
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=2)

    def record(self, package: str, ok: bool) -> int:
        """Append one install; the number of entries the log then holds."""
        with self._lock:
            entries = self._read()
            entries.append({"package": package, "ok": ok, "at": time.time()})
            self._write(entries[-MAX_ENTRIES:])
        return len(entries)

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._lock:
            return json.loads(self.path.read_text(encoding="utf-8"))


def install_many(
    packages: Iterable[str], install: Callable[[str], bool], log: Optional[InstallLog] = None, workers: int = 4
) -> list[bool]:
    """Install `packages` on a thread pool; each worker logs its own result."""
    log = log if log is not None else InstallLog()

    def one(package: str) -> bool:
        ok = bool(install(package))
        log.record(package, ok)
        return ok

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, packages))
