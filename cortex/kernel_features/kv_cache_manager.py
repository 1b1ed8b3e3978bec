"""KV-cache pool bookkeeping for local LLM inference.

Local inference servers reserve GPU/CPU memory for attention key/value
caches in fixed-size blocks. Cortex keeps a ledger of pools and of which
sequence holds which blocks, so ``cortex kv status`` can report usage and
admission can refuse a request that would not fit.
"""

from __future__ import annotations

import sqlite3 as sql
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cortex.utils.db_pool import get_connection_pool

POLICIES = ("lru", "fifo", "priority")


@dataclass
class CachePool:
    name: str
    total_blocks: int
    block_size_kb: int
    policy: str = "lru"

    @property
    def size_mb(self) -> float:
        return self.total_blocks * self.block_size_kb / 1024


class CacheFullError(RuntimeError):
    """Not enough free blocks in the pool."""


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "kv_cache.db"


class KVCacheManager:
    def __init__(self, db_path: str | Path | None = None) -> None:
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self._init_schema()

    def _init_schema(self) -> None:
        with self._pool.get_connection() as conn:
            conn.executescript(
                """
            CREATE TABLE IF NOT EXISTS pools (
                name TEXT PRIMARY KEY,
                total_blocks INTEGER NOT NULL,
                block_size_kb INTEGER NOT NULL,
                policy TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS allocations (
                pool TEXT NOT NULL REFERENCES pools(name),
                sequence_id TEXT NOT NULL,
                blocks INTEGER NOT NULL,
                allocated_at REAL NOT NULL,
                PRIMARY KEY (pool, sequence_id)
            );
            """
            )
            conn.commit()

    def create_pool(self, name: str, total_blocks: int, block_size_kb: int = 16, policy: str = "lru") -> CachePool:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}")
        if total_blocks <= 0:
            raise ValueError("total_blocks must be positive")
        with self._pool.get_connection() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pools (name, total_blocks, block_size_kb, policy) VALUES (?, ?, ?, ?)",
                (name, total_blocks, block_size_kb, policy),
            )
            conn.commit()
        return CachePool(name, total_blocks, block_size_kb, policy)

    def get_pool(self, name: str) -> Optional[CachePool]:
        with self._pool.get_connection() as conn:
            conn.row_factory = sql.Row
            row = conn.execute("SELECT * FROM pools WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return CachePool(row["name"], row["total_blocks"], row["block_size_kb"], row["policy"])

    def list_pools(self) -> list[CachePool]:
        with self._pool.get_connection() as conn:
            rows = conn.execute("SELECT name, total_blocks, block_size_kb, policy FROM pools ORDER BY name").fetchall()
        return [CachePool(*row) for row in rows]

    def used_blocks(self, pool: str) -> int:
        with self._pool.get_connection() as conn:
            used = conn.execute("SELECT COALESCE(SUM(blocks), 0) FROM allocations WHERE pool = ?", (pool,)).fetchone()[0]
        return used

    def allocate(self, pool: str, sequence_id: str, blocks: int) -> int:
        """Reserve ``blocks`` for a sequence; returns the blocks now free."""
        info = self.get_pool(pool)
        if info is None:
            raise KeyError(pool)
        free = info.total_blocks - self.used_blocks(pool)
        if blocks > free:
            raise CacheFullError(f"{pool}: need {blocks} blocks, {free} free")
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(
                "INSERT INTO allocations (pool, sequence_id, blocks, allocated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(pool, sequence_id) DO UPDATE SET blocks = blocks + excluded.blocks",
                (pool, sequence_id, blocks, time.time()),
            )
            conn.commit()
        return free - blocks

    def free(self, pool: str, sequence_id: str) -> int:
        """Release a sequence's blocks; returns how many were released."""
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT blocks FROM allocations WHERE pool = ? AND sequence_id = ?", (pool, sequence_id))
            row = cur.fetchone()
            cur.execute("DELETE FROM allocations WHERE pool = ? AND sequence_id = ?", (pool, sequence_id))
            conn.commit()
        return row[0] if row else 0

    def usage(self, pool: str) -> dict[str, float]:
        info = self.get_pool(pool)
        if info is None:
            raise KeyError(pool)
        used = self.used_blocks(pool)
        return {
            "total_blocks": info.total_blocks,
            "used_blocks": used,
            "free_blocks": info.total_blocks - used,
            "utilization": used / info.total_blocks,
            "used_mb": used * info.block_size_kb / 1024,
        }


_manager = None
_manager_lock = threading.Lock()


def get_kv_cache_manager() -> KVCacheManager:
    global _manager
    if _manager == None:
        with _manager_lock:
            if _manager == None:
                _manager = KVCacheManager()
    return _manager
