"""Idempotent ingestion against real Chroma files: no-op re-ingest, targeted rewrites, deletions."""

from __future__ import annotations

from pathlib import Path

from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest, plan_ingest
from rag.store import ChromaStore
from tests.fakes import HashEmbedder, MemoryStore


def _chunks(guide: Path):  # type: ignore[no-untyped-def]
    return chunk_guide(load_guide(guide))


def test_reingesting_unchanged_content_writes_nothing(guide_copy: Path, tmp_path: Path) -> None:
    store = ChromaStore.persistent(tmp_path / "chroma", "guide")
    emb = HashEmbedder()
    first = ingest(_chunks(guide_copy), store, emb)
    assert first.added == store.count() > 0
    calls = len(emb.calls)
    again = ingest(_chunks(guide_copy), store, emb)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == first.added
    assert len(emb.calls) == calls  # nothing was even embedded


def test_editing_a_section_rewrites_only_its_chunks(guide_copy: Path) -> None:
    store, emb = MemoryStore(), HashEmbedder()
    ingest(_chunks(guide_copy), store, emb)
    store.upserted.clear()
    target = guide_copy / "synthetic-data.md"
    target.write_text(target.read_text().replace(
        "## ", "A short added sentence about generated data.\n\n## ", 1))
    report = ingest(_chunks(guide_copy), store, emb)
    assert report.updated >= 1 and report.removed == 0
    assert store.upserted and all(cid.startswith("synthetic-data#") for cid in store.upserted)


def test_deleting_a_file_removes_its_chunks(guide_copy: Path, tmp_path: Path) -> None:
    store = ChromaStore.persistent(tmp_path / "chroma", "guide")
    emb = HashEmbedder()
    ingest(_chunks(guide_copy), store, emb)
    (guide_copy / "feedback-loops.md").unlink()
    report = ingest(_chunks(guide_copy), store, emb)
    assert report.removed >= 1
    assert not [cid for cid in store.all_metadata() if cid.startswith("feedback-loops#")]


def test_persisted_index_survives_a_new_client(guide_copy: Path, tmp_path: Path) -> None:
    emb = HashEmbedder()
    ingest(_chunks(guide_copy), ChromaStore.persistent(tmp_path / "chroma", "guide"), emb)
    reopened = ChromaStore.persistent(tmp_path / "chroma", "guide")
    assert plan_ingest(_chunks(guide_copy), reopened, emb).is_noop


def test_changing_the_embedder_reembeds_everything(guide_copy: Path) -> None:
    store = MemoryStore()
    ingest(_chunks(guide_copy), store, HashEmbedder(dim=256))
    other = HashEmbedder(dim=256)
    other.version = "2"
    report = ingest(_chunks(guide_copy), store, other)
    assert report.updated == len(store.rows) and report.unchanged == 0
