"""Idempotent ingestion of guide chunks into the vector store.

A chunk's id comes from its section id and heading anchor, and its metadata carries a content hash plus
the embedder's identity. Re-ingesting compares those against the store, so unchanged content writes nothing,
an edited section rewrites only its own chunks, and chunks of deleted files are removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.chunking import Chunk
from rag.embedder import Embedder
from rag.store import VectorStore

log = logging.getLogger(__name__)

ProgressFn = Callable[[int], None]


@dataclass
class IngestPlan:
    add: list[Chunk] = field(default_factory=list)
    update: list[Chunk] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_noop(self) -> bool:
        return not (self.add or self.update or self.remove)


@dataclass(frozen=True)
class IngestReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    @property
    def chunks_per_second(self) -> float:
        written = self.added + self.updated
        return written / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (f"added {self.added}, updated {self.updated}, removed {self.removed}, "
                f"unchanged {self.unchanged} in {self.seconds:.2f}s")


def embedder_id(embedder: Embedder) -> str:
    return f"{embedder.name}@{embedder.version}"


def _metadata(c: Chunk, emb_id: str) -> dict[str, str | int]:
    return {"section_id": c.section_id, "title": c.section_title, "anchor": c.anchor,
            "heading_path": " > ".join(c.heading_path), "position": c.position,
            "content_hash": c.content_hash, "embedder": emb_id}


def plan_ingest(chunks: list[Chunk], store: VectorStore, embedder: Embedder) -> IngestPlan:
    """Diff the wanted chunks against what the store holds."""
    emb_id = embedder_id(embedder)
    stored = store.all_metadata()
    plan = IngestPlan()
    wanted = {c.id for c in chunks}
    for c in chunks:
        meta = stored.get(c.id)
        if meta is None:
            plan.add.append(c)
        elif meta.get("content_hash") != c.content_hash or meta.get("embedder") != emb_id \
                or meta.get("position") != c.position:
            plan.update.append(c)
        else:
            plan.unchanged += 1
    plan.remove = sorted(set(stored) - wanted)
    return plan


def ingest(chunks: list[Chunk], store: VectorStore, embedder: Embedder, batch_size: int = 256,
           progress: ProgressFn | None = None) -> IngestReport:
    """Apply the plan: embed and upsert new or changed chunks in batches, delete vanished ones.

    Batches are large (256 chunks): the model sorts each call's texts by length before padding, so one big call
    pads far less than many small ones, and Chroma takes one write per batch instead of one per 32 chunks.
    """
    t0 = time.perf_counter()
    plan = plan_ingest(chunks, store, embedder)
    emb_id = embedder_id(embedder)
    todo = plan.add + plan.update
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        vecs = embedder.embed([c.embed_text for c in batch])
        store.upsert([c.id for c in batch], vecs, [c.text for c in batch], [_metadata(c, emb_id) for c in batch])
        if progress:
            progress(len(batch))
    store.delete(plan.remove)
    report = IngestReport(len(plan.add), len(plan.update), len(plan.remove), plan.unchanged,
                          time.perf_counter() - t0)
    log.info("ingest: %s", report.summary())
    return report
