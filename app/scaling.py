"""What lets N replicas and workers share one deployment: the embedder's batching and shared cache, and the guide
ingestion done once under the start-up lock. The runtime calls these two functions; nothing else changes.

- `serving_embedder`: the model, then (with REDIS_URL) the shared sentence-embedding cache, then the dynamic
  batcher (EMBED_BATCH_WAIT_MS, EMBED_BATCH_MAX), which every request thread of this process goes through.
- `locked_index`: ingestion (when the store is missing or stale) under the "ingest" start-up lock; the replica
  that actually wrote chunks records a `startup_event`.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from app import compose
from app.db.startup import record_event, startup_lock
from app.metrics import Metrics
from app.settings import Settings
from rag import Embedder, GuideIndex, VectorStore
from rag.batcher import BatchingEmbedder
from rag.embedcache import RedisCachedEmbedder

log = logging.getLogger(__name__)


def serving_embedder(model: Embedder, settings: Settings, metrics: Metrics | None = None) -> Embedder:
    """Wrap the loaded model for serving: Redis cache (when configured) inside the batcher (when enabled)."""
    emb: Embedder = model
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        emb = RedisCachedEmbedder(emb, client, settings.redis_prefix,
                                  observer=(lambda h, m: metrics.observe_cache("embedding", h, m)) if metrics else None)
    if settings.embed_batch_max > 1:
        emb = BatchingEmbedder(emb, settings.embed_batch_wait_ms, settings.embed_batch_max,
                               observer=metrics.observe_batch if metrics else None)
    return emb


def locked_index(settings: Settings, engine: Engine, embedder: Embedder,
                 store: VectorStore | None = None) -> GuideIndex:
    """build_index under the start-up lock: one replica ingests, the others wait and find the index current.

    The store is opened inside the lock too, so a worker sharing Chroma files with the one that ingested opens
    them after the writes, not before.
    """
    with startup_lock(engine, "ingest"):
        index = compose.make_index(settings, embedder, store or compose.make_store(settings))
        if index.last_ingest is not None:
            record_event(engine, "ingest", index.last_ingest.summary())
    return index
