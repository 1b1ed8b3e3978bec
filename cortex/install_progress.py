"""Progress of a parallel install: one tracker per run, shared by the worker threads.

`install_all()` makes one `InstallProgress` and hands the same object to every worker
thread; each worker records where its package came from, and the caller drains the
per-source counts for the summary line (`cortex install --parallel`).
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable


class InstallProgress:
    """How many packages were installed, per source (apt, pip, snap)."""
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.installed = 0
        self.per_source: dict[str, int] = {}

    def record(self, source: str) -> None:
        with self._lock:
            self.installed += 1
            self.per_source[source] = self.per_source.get(source, 0) + 1

    def drain(self) -> dict[str, int]:
        counts = self.per_source
        self.per_source = {}
        return counts


def _source_of(package: str) -> str:
    if package.startswith("snap:"):
        return "snap"
    return "pip" if package.startswith("py") else "apt"


def _install_one(progress: InstallProgress, package: str, install: Callable[[str], bool]) -> None:
    if install(package):
        progress.record(_source_of(package))


def install_all(packages: Iterable[str], install: Callable[[str], bool]) -> dict[str, int]:
    """Install every package on its own thread; the per-source counts of the installed ones."""
    progress = InstallProgress()
    workers = [threading.Thread(target=_install_one, args=(progress, p, install)) for p in packages]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return progress.drain()
