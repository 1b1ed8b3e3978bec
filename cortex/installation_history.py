"""Installation history: what Cortex installed, when, and how it went.

Unlike :mod:`cortex.transaction_history` (which is about undo), this log is
for the user: ``cortex history`` lists it and ``cortex stats`` summarises it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cortex.utils.db_pool import get_connection_pool

STATUS_SUCCESS = "success"
STATUS_FAILED = "failed"
STATUS_IN_PROGRESS = "in_progress"
_STATUSES = {STATUS_SUCCESS, STATUS_FAILED, STATUS_IN_PROGRESS}


@dataclass
class InstallationRecord:
    id: int
    request: str
    packages: list[str]
    commands: list[str]
    status: str
    started_at: float
    duration: Optional[float]
    error: Optional[str]


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "installations.db"


class InstallationHistory:
    """SQLite log of installations."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self._create_schema()

    def _create_schema(self) -> None:
        with self._pool.get_connection() as conn:
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS installations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request TEXT NOT NULL,
                    packages TEXT NOT NULL,
                    commands TEXT NOT NULL,
                    status TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    duration REAL,
                    error TEXT
                )
                """
            )
            conn.commit()

    def record_start(self, request: str, packages: list[str], commands: list[str]) -> int:
        """Record an installation that is starting; returns its id."""
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "INSERT INTO installations (request, packages, commands, status, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (request, json.dumps(packages), json.dumps(commands), STATUS_IN_PROGRESS, time.time()),
            )
            conn.commit()
            return int(cur.lastrowid)

    def record_finish(self, record_id: int, status: str, error: Optional[str] = None) -> bool:
        if status not in _STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT started_at FROM installations WHERE id = ?", (record_id,))
            row = cur.fetchone()
            if row is None:
                return False
            duration = time.time() - row[0]
            cur.execute(
                "UPDATE installations SET status = ?, duration = ?, error = ? WHERE id = ?",
                (status, duration, error, record_id),
            )
            conn.commit()
            return True

    def get(self, record_id: int) -> Optional[InstallationRecord]:
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM installations WHERE id = ?", (record_id,)).fetchone()
            return self._to_record(row) if row is not None else None

    def list_records(self, limit: int = 50, status: Optional[str] = None) -> list[InstallationRecord]:
        """Newest first."""
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            cur = conn.cursor()
            if status:
                cur.execute(
                    "SELECT * FROM installations WHERE status = ? ORDER BY id DESC LIMIT ?", (status, limit)
                )
            else:
                cur.execute("SELECT * FROM installations ORDER BY id DESC LIMIT ?", (limit,))
            return [self._to_record(r) for r in cur.fetchall()]

    def stats(self) -> dict[str, float]:
        """Counts per status and the success rate."""
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT status, COUNT(*) FROM installations GROUP BY status")
            counts = {status: n for status, n in cur.fetchall()}
        total = sum(counts.values())
        finished = counts.get(STATUS_SUCCESS, 0) + counts.get(STATUS_FAILED, 0)
        return {
            "total": total,
            "success": counts.get(STATUS_SUCCESS, 0),
            "failed": counts.get(STATUS_FAILED, 0),
            "in_progress": counts.get(STATUS_IN_PROGRESS, 0),
            "success_rate": counts.get(STATUS_SUCCESS, 0) / finished if finished else 0.0,
        }

    def purge_older_than(self, days: float) -> int:
        cutoff = time.time() - days * 86400
        with self._pool.get_connection() as conn:
            cur = conn.execute("DELETE FROM installations WHERE started_at < ?", (cutoff,))
            conn.commit()
            return cur.rowcount

    @staticmethod
    def _to_record(row: sqlite3.Row) -> InstallationRecord:
        return InstallationRecord(
            id=row["id"],
            request=row["request"],
            packages=json.loads(row["packages"]),
            commands=json.loads(row["commands"]),
            status=row["status"],
            started_at=row["started_at"],
            duration=row["duration"],
            error=row["error"],
        )


_installation_history: Optional[InstallationHistory] = None
_installation_history_lock = threading.Lock()


def get_installation_history() -> InstallationHistory:
    """Shared history instance (guarded, so safe to call from worker threads)."""
    global _installation_history
    with _installation_history_lock:
        if _installation_history is None:
            _installation_history = InstallationHistory()
    return _installation_history
