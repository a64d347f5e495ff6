"""A small SQLite cache for judge replies, keyed by a hash of the prompt, the model and the parameters.

Only replies that passed validation are stored, so a transient bad reply is never replayed. Eval reruns then
cost nothing and give the same grades; changing a prompt file, the model or a parameter changes the key.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cache_key(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    text: str
    prompt_tokens: int
    completion_tokens: int


class ReplyCache:
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

    def put(self, key: str, model: str, text: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO reply VALUES (?, ?, ?, ?, ?, ?)",
                       (key, model, text, prompt_tokens, completion_tokens, time.time()))

    def __len__(self) -> int:
        with self._lock, self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM reply").fetchone()[0])
