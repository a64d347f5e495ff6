"""A small SQLite cache for judge replies, keyed by a hash of the prompt, the model and the parameters.

Only replies that passed validation are stored, so a transient bad reply is never replayed. Eval reruns then
cost nothing and give the same grades; changing a prompt file, the model or a parameter changes the key.

With REDIS_URL set (`ReplyCache.redis`, built by `make_reply_cache`), the replies live in Redis instead, so every
replica and worker shares them: a rubric judged once is judged once for the whole deployment. A Redis failure
reads as a miss and a skipped write, never as an error. `hits` and `misses` count lookups for /metrics.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)

def cache_key(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    text: str
    prompt_tokens: int
    completion_tokens: int


class _SqliteReplies:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS reply (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                       "text TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, "
                       "created_at REAL NOT NULL)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:  # the inner `db` commits
            yield db

    def get(self, key: str) -> CachedReply | None:
        with self._lock, self._connect() as db:
            row = db.execute("SELECT text, prompt_tokens, completion_tokens FROM reply WHERE key = ?",
                             (key,)).fetchone()
        return CachedReply(row[0], int(row[1]), int(row[2])) if row else None

    def put(self, key: str, model: str, text: str, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO reply VALUES (?, ?, ?, ?, ?, ?)",
                       (key, model, text, prompt_tokens, completion_tokens, time.time()))

    def count(self) -> int:
        with self._lock, self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM reply").fetchone()[0])


class _RedisReplies:
    """One hash per reply under `{prefix}:judge:{key}`; kept until evicted by Redis's own memory policy."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:judge:"

    def get(self, key: str) -> CachedReply | None:
        try:
            row = self.client.hmget(self.prefix + key, "text", "prompt_tokens", "completion_tokens")
        except Exception:
            log.warning("judge reply cache unavailable; asking the provider", exc_info=True)
            return None
        if not row or row[0] is None:
            return None
        return CachedReply(row[0].decode("utf-8"), int(row[1] or 0), int(row[2] or 0))

    def put(self, key: str, model: str, text: str, prompt_tokens: int, completion_tokens: int) -> None:
        try:
            self.client.hset(self.prefix + key, mapping={"model": model, "text": text, "created_at": time.time(),
                                                         "prompt_tokens": prompt_tokens,
                                                         "completion_tokens": completion_tokens})
        except Exception:
            log.warning("could not write to the judge reply cache", exc_info=True)

    def count(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=self.prefix + "*", count=500))


class ReplyCache:
    """Validated judge replies by key: a SQLite file by default (`ReplyCache(path)`), Redis when shared."""

    def __init__(self, path: Path | None = None, *, backend: _SqliteReplies | _RedisReplies | None = None) -> None:
        if backend is None:
            if path is None:
                raise ValueError("ReplyCache needs a path or a backend")
            backend = _SqliteReplies(path)
        self.path = path
        self._backend = backend
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @classmethod
    def redis(cls, client: Any, prefix: str) -> ReplyCache:
        return cls(backend=_RedisReplies(client, prefix))

    @property
    def shared(self) -> bool:
        return isinstance(self._backend, _RedisReplies)

    def get(self, key: str) -> CachedReply | None:
        hit = self._backend.get(key)
        with self._lock:
            if hit is None:
                self.misses += 1
            else:
                self.hits += 1
        return hit

    def put(self, key: str, model: str, text: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self._backend.put(key, model, text, prompt_tokens, completion_tokens)

    def __len__(self) -> int:
        return self._backend.count()


def make_reply_cache(settings: Settings) -> ReplyCache | None:
    """None with LLM_CACHE off; Redis with REDIS_URL set; else the SQLite file in DATA_DIR."""
    if not settings.llm_cache:
        return None
    if settings.redis_url:
        import redis

        return ReplyCache.redis(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    return ReplyCache(settings.llm_cache_path)
