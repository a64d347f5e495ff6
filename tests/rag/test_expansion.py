"""Query expansion: everyday phrases add the glossary term they stand for, and only where asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import ROOT
from rag.chunking import chunk_guide
from rag.expansion import QueryExpander, default_expander
from rag.glossary import Glossary
from rag.guide import load_guide
from rag.ingest import ingest
from rag.retrieval import HybridRetriever, Mode
from rag.store import ChromaStore
from tests.fakes import HashEmbedder

CHUNKS = chunk_guide(load_guide(ROOT / "content" / "guide"))


def test_every_paraphrase_key_is_a_glossary_term() -> None:
    terms = {t.term for t in Glossary.from_chunks(CHUNKS).terms}
    listed = default_expander().paraphrases
    assert listed and set(listed) <= terms
    assert all(phrases for phrases in listed.values())


def test_expand_appends_each_matching_term_once() -> None:
    ex = QueryExpander({"kill switch": ["turn it off", "switch it off"], "synthetic data": ["fake data"]})
    assert ex.expand("Can we turn it off, or switch it off, if the fake data misleads it?") == \
        "Can we turn it off, or switch it off, if the fake data misleads it? kill switch synthetic data"
    assert ex.expand("What is a golden set?") == "What is a golden set?"


def test_phrases_match_whole_words_only() -> None:
    ex = QueryExpander({"embedding": ["vector"]})
    assert ex.terms("which vector store?") == ["embedding"]
    assert ex.terms("a vectorised index") == []


@pytest.fixture
def retriever(tmp_path: Path) -> HybridRetriever:
    store, emb = ChromaStore.persistent(tmp_path / "chroma", "guide"), HashEmbedder()
    ingest(CHUNKS, store, emb)
    return HybridRetriever(CHUNKS, emb, store, expander=QueryExpander({"kill switch": ["pull the plug"]}))


def test_search_expands_only_when_asked(retriever: HybridRetriever) -> None:
    q = "how fast can we pull the plug on the AI path?"
    plain, expanded = retriever.search(q, mode=Mode.bm25), retriever.search(q, mode=Mode.bm25, expand=True)
    assert plain.query == expanded.query == q
    assert plain.searched == q and expanded.searched == f"{q} kill switch"
    top = {h.chunk.section_id for h in expanded.hits[:3]}
    assert top & {"launch-and-production", "guardrails-and-graceful-degradation"}
