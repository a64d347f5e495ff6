"""A shared sentence-embedding cache in Redis, so replicas embed each text once between them.

Keys hash the embedder's name and version with the text, so a swapped model never reads old vectors. Values
are the raw float32 bytes. A Redis failure is logged and the texts are embedded as if nothing were cached: an
outage slows grading down, it never fails it. Without REDIS_URL the app does not build this wrapper at all and
the per-process caches (the grader's LRU, the sentence-vector file) work as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from rag.embedder import Embedder

log = logging.getLogger(__name__)

# (hits, misses) per call: for metrics, owned by the app.
CacheObserver = Callable[[int, int], None]


class KeyValue(Protocol):
    """The two calls needed from a Redis client (redis.Redis satisfies it)."""

    def mget(self, keys: list[str]) -> list[Any]: ...

    def pipeline(self, transaction: bool = ...) -> Any: ...


class RedisCachedEmbedder:
    """An Embedder that looks texts up in Redis first and embeds (and stores) only the misses."""

    def __init__(self, inner: Embedder, client: KeyValue, prefix: str, ttl_s: int = 7 * 24 * 3600,
                 observer: CacheObserver | None = None) -> None:
        self.inner = inner
        self.name, self.version, self.dim = inner.name, inner.version, inner.dim
        self.client = client
        self.ttl_s = ttl_s
        self.observer = observer
        self._prefix = f"{prefix}:emb:{inner.name}@{inner.version}:"

    def key(self, text: str) -> str:
        return self._prefix + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        found: dict[str, np.ndarray] = {}
        try:
            for t, raw in zip(unique, self.client.mget([self.key(t) for t in unique])):
                if isinstance(raw, bytes) and len(raw) == 4 * self.dim:
                    found[t] = np.frombuffer(raw, dtype=np.float32)
        except Exception:  # redis raises many types; all mean "no cache this time"
            log.warning("embedding cache unavailable; embedding without it", exc_info=True)
        missing = [t for t in unique if t not in found]
        if missing:
            vecs = np.asarray(self.inner.embed(missing), dtype=np.float32)
            for t, v in zip(missing, vecs):
                found[t] = v
            self._store(missing, vecs)
        if self.observer is not None:
            self.observer(len(unique) - len(missing), len(missing))
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def _store(self, texts: list[str], vecs: np.ndarray) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for t, v in zip(texts, vecs):
                pipe.set(self.key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes(), ex=self.ttl_s)
            pipe.execute()
        except Exception:
            log.warning("could not write to the embedding cache", exc_info=True)
