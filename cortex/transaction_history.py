"""Package transaction history with undo support.

Every install, removal or upgrade Cortex performs is recorded as a
transaction in a small SQLite database so that ``cortex undo`` can reverse
it later. The :class:`UndoManager` works out the inverse commands and, when
given a runner, executes them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable, Optional

from cortex.utils.db_pool import get_connection_pool


class TransactionType(str, Enum):
    INSTALL = "install"
    REMOVE = "remove"
    UPGRADE = "upgrade"


class TransactionStatus(str, Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


@dataclass
class Transaction:
    """One recorded package operation."""

    id: str
    type: TransactionType
    packages: list[str]
    status: TransactionStatus
    created_at: float
    completed_at: Optional[float] = None
    commands: list[str] = field(default_factory=list)
    error: Optional[str] = None


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "transactions.db"


class TransactionHistory:
    """SQLite-backed log of package transactions."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self._init_db()

    def _init_db(self) -> None:
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                """
            CREATE TABLE IF NOT EXISTS transactions (
                id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                packages TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at REAL NOT NULL,
                completed_at REAL,
                commands TEXT NOT NULL DEFAULT '[]',
                error TEXT
            )
            """
            )
            cur.execute("CREATE INDEX IF NOT EXISTS idx_tx_created ON transactions(created_at)")
            conn.commit()

    def begin(
        self,
        tx_type: TransactionType,
        packages: list[str],
        commands: Optional[list[str]] = None,
    ) -> Transaction:
        """Record a new pending transaction and return it."""
        tx = Transaction(
            id=uuid.uuid4().hex[:12],
            type=TransactionType(tx_type),
            packages=list(packages),
            status=TransactionStatus.PENDING,
            created_at=time.time(),
            commands=list(commands or []),
        )
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "INSERT INTO transactions (id, type, packages, status, created_at, commands) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (tx.id, tx.type.value, json.dumps(tx.packages), tx.status.value,
                 tx.created_at, json.dumps(tx.commands)),
            )
            conn.commit()
        return tx

    def _set_status(self, tx_id: str, status: TransactionStatus, error: Optional[str] = None) -> bool:
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "UPDATE transactions SET status = ?, completed_at = ?, error = ? WHERE id = ?",
                (status.value, time.time(), error, tx_id),
            )
            updated = cur.rowcount > 0
            conn.commit()
        return updated

    def complete(self, tx_id: str) -> bool:
        return self._set_status(tx_id, TransactionStatus.COMPLETED)

    def fail(self, tx_id: str, error: str) -> bool:
        return self._set_status(tx_id, TransactionStatus.FAILED, error)

    def mark_rolled_back(self, tx_id: str) -> bool:
        return self._set_status(tx_id, TransactionStatus.ROLLED_BACK)

    def get(self, tx_id: str) -> Optional[Transaction]:
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            cur = conn.cursor()
            cur.execute("SELECT * FROM transactions WHERE id = ?", (tx_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return self._row_to_tx(row)

    def list_recent(self, limit: int = 20, status: Optional[TransactionStatus] = None) -> list[Transaction]:
        """Most recent transactions first, optionally filtered by status."""
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            cur = conn.cursor()
            if status is None:
                cur.execute("SELECT * FROM transactions ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))
            else:
                cur.execute(
                    "SELECT * FROM transactions WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                    (TransactionStatus(status).value, limit),
                )
            rows = cur.fetchall()
        return [self._row_to_tx(r) for r in rows]

    def count(self) -> int:
        with self._pool.get_connection() as conn:
            total = conn.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
        return total

    @staticmethod
    def _row_to_tx(row: sqlite3.Row) -> Transaction:
        return Transaction(
            id=row["id"],
            type=TransactionType(row["type"]),
            packages=json.loads(row["packages"]),
            status=TransactionStatus(row["status"]),
            created_at=row["created_at"],
            completed_at=row["completed_at"],
            commands=json.loads(row["commands"]),
            error=row["error"],
        )


_INVERSE = {TransactionType.INSTALL: TransactionType.REMOVE, TransactionType.REMOVE: TransactionType.INSTALL}
_APT = {TransactionType.INSTALL: "sudo apt-get install -y", TransactionType.REMOVE: "sudo apt-get remove -y"}


class UndoManager:
    """Reverses completed transactions.

    ``runner`` receives the list of shell commands and returns an exit code.
    Without a runner the inverse commands are only recorded (dry run).
    """

    def __init__(
        self,
        history: Optional[TransactionHistory] = None,
        runner: Optional[Callable[[list[str]], int]] = None,
    ) -> None:
        self.history = history if history is not None else get_history()
        self.runner = runner

    def can_undo(self, tx_id: str) -> tuple[bool, str]:
        tx = self.history.get(tx_id)
        if tx is None:
            return False, f"unknown transaction {tx_id}"
        if tx.status is not TransactionStatus.COMPLETED:
            return False, f"transaction is {tx.status.value}"
        if tx.type not in _INVERSE:
            return False, f"{tx.type.value} cannot be undone automatically"
        return True, "ok"

    def plan(self, tx: Transaction) -> list[str]:
        inverse = _INVERSE[tx.type]
        return [f"{_APT[inverse]} {' '.join(tx.packages)}"]

    def undo(self, tx_id: str) -> Transaction:
        """Undo ``tx_id``; returns the new (inverse) transaction."""
        ok, reason = self.can_undo(tx_id)
        if not ok:
            raise ValueError(reason)
        original = self.history.get(tx_id)
        assert original is not None
        commands = self.plan(original)
        inverse = self.history.begin(_INVERSE[original.type], original.packages, commands)
        if self.runner is not None and self.runner(commands) != 0:
            self.history.fail(inverse.id, "undo command failed")
        else:
            self.history.complete(inverse.id)
            self.history.mark_rolled_back(original.id)
        return self.history.get(inverse.id) or inverse

    def undo_last(self) -> Optional[Transaction]:
        recent = self.history.list_recent(limit=1, status=TransactionStatus.COMPLETED)
        if not recent:
            return None
        return self.undo(recent[0].id)


_history_instance = None
_history_lock = threading.Lock()


def get_history() -> TransactionHistory:
    """Process-wide transaction history."""
    global _history_instance
    if _history_instance is None:
        with _history_lock:
            if _history_instance is None:
                _history_instance = TransactionHistory()
    return _history_instance


_undo_manager = None
_undo_manager_lock = threading.Lock()


def get_undo_manager() -> UndoManager:
    global _undo_manager
    if not _undo_manager:
        with _undo_manager_lock:
            if not _undo_manager:
                _undo_manager = UndoManager()
    return _undo_manager
