"""Semantic cache for LLM answers.

Questions users ask Cortex repeat a lot, with small wording changes
("install docker" / "please install docker for me"). Answers are stored in
SQLite and looked up by bag-of-words cosine similarity of the prompt, so a
near-duplicate prompt is served without calling the LLM.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cortex.utils.db_pool import get_connection_pool

_TOKEN_RE = re.compile(r"[a-z0-9][a-z0-9.+_-]*")
_STOPWORDS = frozenset({"a", "an", "the", "for", "me", "please", "my", "to", "i", "on", "and", "of", "can", "you"})


def tokenize(text: str) -> Counter[str]:
    """Lower-cased bag of words without stopwords."""
    return Counter(t for t in _TOKEN_RE.findall(text.lower()) if t not in _STOPWORDS)


def cosine_similarity(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[token] for token, count in a.items() if token in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


@dataclass
class CacheHit:
    prompt: str
    response: str
    similarity: float
    hits: int


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "semantic_cache.db"


class SemanticCache:
    """Prompt-similarity cache of LLM responses, one table per database."""

    def __init__(self, db_path: str | Path | None = None, threshold: float = 0.85, max_entries: int = 500) -> None:
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        self._pool = get_connection_pool(self.db_path)
        self.threshold = threshold
        self.max_entries = max_entries
        self._init_database()

    def _init_database(self) -> None:
        with self._pool.get_connection() as conn:
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS llm_cache (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model TEXT NOT NULL,
                    prompt TEXT NOT NULL,
                    tokens TEXT NOT NULL,
                    response TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    last_used REAL NOT NULL,
                    hits INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (model, prompt)
                )
                """
            )

    def get(self, prompt: str, model: str = "default") -> Optional[CacheHit]:
        """Best cached answer whose prompt is at least ``threshold`` similar."""
        query = tokenize(prompt)
        if not query:
            return None
        with self._pool.get_connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT id, prompt, tokens, response, hits FROM llm_cache WHERE model = ?", (model,))
            best: Optional[tuple[float, tuple]] = None
            for row in cur.fetchall():
                score = cosine_similarity(query, Counter(json.loads(row[2])))
                if best is None or score > best[0]:
                    best = (score, row)
            if best is None or best[0] < self.threshold:
                return None
            score, (entry_id, cached_prompt, _, response, hits) = best
            cur.execute(
                "UPDATE llm_cache SET hits = hits + 1, last_used = ? WHERE id = ?", (time.time(), entry_id)
            )
            return CacheHit(cached_prompt, response, score, hits + 1)

    def put(self, prompt: str, response: str, model: str = "default") -> None:
        now = time.time()
        with self._pool.get_connection() as conn:
            conn.execute(
                "INSERT INTO llm_cache (model, prompt, tokens, response, created_at, last_used) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(model, prompt) DO UPDATE SET response = excluded.response, last_used = excluded.last_used",
                (model, prompt, json.dumps(dict(tokenize(prompt))), response, now, now),
            )
            count = conn.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0]
            if count > self.max_entries:
                conn.execute(
                    "DELETE FROM llm_cache WHERE id IN "
                    "(SELECT id FROM llm_cache ORDER BY last_used ASC, id ASC LIMIT ?)",
                    (count - self.max_entries,),
                )

    def stats(self) -> dict[str, int]:
        with self._pool.get_connection() as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT COUNT(*) AS entries, COALESCE(SUM(hits), 0) AS hits FROM llm_cache").fetchone()
            return {"entries": row["entries"], "hits": row["hits"]}

    def clear(self, model: Optional[str] = None) -> int:
        with self._pool.get_connection() as conn:
            if model is None:
                cur = conn.execute("DELETE FROM llm_cache")
            else:
                cur = conn.execute("DELETE FROM llm_cache WHERE model = ?", (model,))
            return cur.rowcount


_caches: dict[str, "SemanticCache"] = {}
_caches_lock = threading.Lock()


def get_semantic_cache(db_path: str | Path | None = None) -> SemanticCache:
    """One cache object per database file."""
    key = str(db_path or default_db_path())
    if key not in _caches:
        with _caches_lock:
            if key not in _caches:
                _caches[key] = SemanticCache(key)
    return _caches[key]
