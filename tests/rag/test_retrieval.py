"""Hybrid retrieval over the real guide with a deterministic embedder and a real Chroma store."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import ROOT
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest
from rag.retrieval import LEXICAL_WEIGHT, RRF_K, SENTENCE_WEIGHT, HybridRetriever, Mode
from rag.store import ChromaStore
from tests.fakes import HashEmbedder


@pytest.fixture
def retriever(tmp_path: Path) -> HybridRetriever:
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    store, emb = ChromaStore.persistent(tmp_path / "chroma", "guide"), HashEmbedder()
    ingest(chunks, store, emb)
    return HybridRetriever(chunks, emb, store)


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_finds_the_labelling_section(retriever: HybridRetriever, mode: Mode) -> None:
    r = retriever.search("hourly rates for expert labellers versus general labellers", k=5, mode=mode)
    assert "data-quality-and-labelling" in r.sections()[:3]


def test_hybrid_scores_are_reciprocal_rank_fusion(retriever: HybridRetriever) -> None:
    r = retriever.search("synthetic data share of training set", k=5, mode=Mode.hybrid)
    assert all(0 < h.score <= (1 + LEXICAL_WEIGHT + SENTENCE_WEIGHT) / (RRF_K + 1) for h in r.hits)
    assert [h.score for h in r.hits] == sorted((h.score for h in r.hits), reverse=True)


def test_confidence_is_low_for_an_unrelated_question(retriever: HybridRetriever) -> None:
    on = retriever.search("precision and recall for a fraud classifier", mode=Mode.hybrid)
    off = retriever.search("sourdough bread baking temperature", mode=Mode.hybrid)
    assert off.confidence < on.confidence


def test_sentence_vectors_are_cached_on_disk_across_restarts(tmp_path: Path) -> None:
    """A restart with the same guide and embedder reads the sentence vectors back instead of embedding them."""
    from rag.retrieval import SentenceMatrix

    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    cache = tmp_path / "sentence_vectors.npz"
    first = SentenceMatrix(chunks, HashEmbedder())
    first.warm(cache)
    assert cache.exists() and first.embedder.calls  # type: ignore[attr-defined]
    emb1 = HashEmbedder()
    again = SentenceMatrix(chunks, emb1)
    again.warm(cache)
    assert emb1.calls == [] and (again.vectors == first.vectors).all()
    emb2 = HashEmbedder(dim=128)
    emb2.version = "2"
    changed = SentenceMatrix(chunks, emb2)
    changed.warm(cache)  # another embedder: the cache is stale, so it embeds and rewrites it
    assert emb2.calls and changed.vectors.shape[1] == 128


def test_sentence_windows_embed_each_sentence_with_its_neighbours_in_the_chunk(tmp_path: Path) -> None:
    """Window vectors are the sentence with the one before and after it, never crossing into another chunk; a
    cache written without windows is stale and rewritten."""
    import numpy as np

    from rag.retrieval import SentenceMatrix

    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))[:3]
    emb = HashEmbedder()
    m = SentenceMatrix(chunks, emb)
    first, second = m.sentences[0][0].text, m.sentences[0][1].text
    assert m.window_texts()[0] == f"{first} {second}"
    last_of_chunk = len(m.sentences[0]) - 1
    assert m.sentences[1][0].text not in m.window_texts()[last_of_chunk]
    assert np.allclose(m.windows[0], emb.embed([f"{first} {second}"])[0])
    assert m.windows.shape == m.vectors.shape
    cache = tmp_path / "sentence_vectors.npz"
    np.savez(cache, key=np.array(m.key()), vectors=m.vectors)  # the old layout: sentences only
    again = SentenceMatrix(chunks, HashEmbedder())
    again.warm(cache)
    assert again.embedder.calls and np.allclose(again.windows, m.windows)  # type: ignore[attr-defined]
