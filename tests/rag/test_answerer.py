"""The extractive answerer: verbatim guide sentences, valid citations, and declining below the threshold."""

from __future__ import annotations

import re

import pytest

from app.settings import ROOT
from rag.answerer import ExtractiveAnswerer, plain, sentences
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest
from rag.retrieval import HybridRetriever
from tests.fakes import HashEmbedder, MemoryStore

SECTIONS = load_guide(ROOT / "content" / "guide")


@pytest.fixture
def retriever() -> HybridRetriever:
    chunks = chunk_guide(SECTIONS)
    store, emb = MemoryStore(), HashEmbedder()
    ingest(chunks, store, emb)
    return HybridRetriever(chunks, emb, store)


def test_every_answer_sentence_is_guide_text_with_a_valid_citation(retriever: HybridRetriever) -> None:
    ans = ExtractiveAnswerer(retriever, min_similarity=0.05).answer(
        "How much should I budget per hour for expert labellers versus general labellers?")
    assert ans.grounded and ans.citations
    numbers = {c.n for c in ans.citations}
    assert numbers == set(range(1, len(numbers) + 1))
    pieces = re.findall(r"(.+?) \[(\d+)\](?:\s|$)", ans.answer)
    assert pieces and " ".join(f"{s} [{n}]" for s, n in pieces) == ans.answer
    by_n = {c.n: c for c in ans.citations}
    for sentence, n in pieces:
        section = next(s for s in SECTIONS if s.id == by_n[int(n)].section_id)
        assert sentence in plain(section.body.replace("\n", " ")) or any(
            sentence in sentences(c) for c in chunk_guide([section]))
        assert sentence in by_n[int(n)].snippet


def test_declines_and_names_nearest_sections_below_the_threshold(retriever: HybridRetriever) -> None:
    ans = ExtractiveAnswerer(retriever, min_similarity=0.99).answer("What is a good sourdough recipe?")
    assert not ans.grounded and ans.citations == []
    assert ans.answer.startswith("The guide doesn't cover that question.")
    assert ans.nearest and all(n.title in ans.answer for n in ans.nearest)


def test_answers_are_deterministic(retriever: HybridRetriever) -> None:
    a = ExtractiveAnswerer(retriever, min_similarity=0.05)
    q = "What is the difference between precision and recall?"
    assert a.answer(q) == a.answer(q)


def test_plain_strips_markdown_emphasis_and_list_markers() -> None:
    assert plain("- **Exploration:** keep `5-10%` of slots") == "Exploration: keep 5-10% of slots"
