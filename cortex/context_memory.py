"""Context memory: what the user asked before and what worked.

Cortex feeds a few relevant past interactions into the prompt so answers
match the user's setup ("last time you preferred podman over docker").
Memories are stored in SQLite and recalled by keyword overlap.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cortex.utils.db_pool import get_connection_pool

_WORD_RE = re.compile(r"[a-z0-9][a-z0-9.+_-]+")


def keywords(text: str) -> set[str]:
    return set(_WORD_RE.findall(text.lower()))


@dataclass
class Memory:
    id: int
    query: str
    command: str
    success: bool
    created_at: float
    category: str = "general"


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "context_memory.db"


class ContextMemory:
    """Stores interactions and preferences; recalls the relevant ones."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self._setup()

    def _setup(self) -> None:
        with self._pool.get_connection() as conn:
            conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS memories (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    query TEXT NOT NULL,
                    command TEXT NOT NULL,
                    success INTEGER NOT NULL,
                    category TEXT NOT NULL DEFAULT 'general',
                    created_at REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS preferences (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                """
            )
            conn.commit()

    def remember(self, query: str, command: str, success: bool = True, category: str = "general") -> int:
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "INSERT INTO memories (query, command, success, category, created_at) VALUES (?, ?, ?, ?, ?)",
                (query, command, int(success), category, time.time()),
            )
            conn.commit()
            return int(cur.lastrowid)

    def recall(self, query: str, limit: int = 5, successful_only: bool = True) -> list[Memory]:
        """Past interactions sharing the most keywords with ``query``."""
        wanted = keywords(query)
        if not wanted:
            return []
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            sql_text = "SELECT * FROM memories"
            if successful_only:
                sql_text += " WHERE success = 1"
            rows = conn.execute(sql_text + " ORDER BY id DESC").fetchall()
        scored = []
        for row in rows:
            overlap = len(wanted & keywords(row["query"] + " " + row["command"]))
            if overlap:
                scored.append((overlap, row["id"], row))
        scored.sort(key=lambda item: (-item[0], -item[1]))
        return [self._to_memory(row) for _, _, row in scored[:limit]]

    def set_preference(self, key: str, value: str) -> None:
        with self._pool.get_connection() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO preferences (key, value, updated_at) VALUES (?, ?, ?)",
                (key, value, time.time()),
            )
            conn.commit()

    def get_preference(self, key: str, default: Optional[str] = None) -> Optional[str]:
        with self._pool.get_connection() as conn:
            row = conn.execute("SELECT value FROM preferences WHERE key = ?", (key,)).fetchone()
            return row[0] if row else default

    def frequent_commands(self, limit: int = 5) -> list[tuple[str, int]]:
        """Most common successful commands, for suggestions."""
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT command FROM memories WHERE success = 1")
            counts = Counter(row[0] for row in cur.fetchall())
        return counts.most_common(limit)

    def forget_older_than(self, days: float) -> int:
        with self._pool.get_connection() as conn:
            cur = conn.execute("DELETE FROM memories WHERE created_at < ?", (time.time() - days * 86400,))
            conn.commit()
            return cur.rowcount

    @staticmethod
    def _to_memory(row: sqlite3.Row) -> Memory:
        return Memory(
            id=row["id"],
            query=row["query"],
            command=row["command"],
            success=bool(row["success"]),
            created_at=row["created_at"],
            category=row["category"],
        )


_memory: Optional[ContextMemory] = None
_memory_lock = threading.Lock()


def get_context_memory() -> ContextMemory:
    global _memory
    if _memory is None:
        with _memory_lock:
            if _memory is None:
                _memory = ContextMemory()
    return _memory
