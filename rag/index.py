"""The loaded guide: sections, chunks, the synced store and the retriever, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import Chunk, chunk_guide
from rag.embedder import Embedder
from rag.errors import SectionNotFound
from rag.glossary import Glossary
from rag.guide import GuideSection, load_guide
from rag.ingest import IngestReport, ingest, plan_ingest
from rag.retrieval import HybridRetriever
from rag.store import VectorStore

log = logging.getLogger(__name__)


@dataclass
class GuideIndex:
    sections: dict[str, GuideSection]
    chunks: list[Chunk]
    retriever: HybridRetriever
    last_ingest: IngestReport | None = None
    glossary: Glossary | None = None  # the guide's defined terms, found in its text

    def section(self, section_id: str) -> GuideSection:
        try:
            return self.sections[section_id]
        except KeyError:
            raise SectionNotFound(section_id) from None


def build_index(guide_dir: Path, embedder: Embedder, store: VectorStore, sync: bool = True) -> GuideIndex:
    """Load the guide and, when `sync`, ingest whatever is missing or stale before serving from the store."""
    sections = load_guide(guide_dir)
    chunks = chunk_guide(sections)
    report = None
    if sync and not plan_ingest(chunks, store, embedder).is_noop:
        report = ingest(chunks, store, embedder)
    retriever = HybridRetriever(chunks, embedder, store)
    return GuideIndex({s.id: s for s in sections}, chunks, retriever, report, Glossary.from_chunks(chunks))
