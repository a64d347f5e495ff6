"""The glossary: every listed term is found defined in the guide text, and definition questions are recognised."""

from __future__ import annotations

import pytest

from app.settings import ROOT
from rag.chunking import chunk_guide
from rag.glossary import Glossary
from rag.guide import load_guide

CHUNKS = chunk_guide(load_guide(ROOT / "content" / "guide"))


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.from_chunks(CHUNKS)


def test_every_term_has_a_defining_sentence_in_its_section(glossary: Glossary) -> None:
    assert len(glossary) >= 20
    by_id = {c.id: c for c in CHUNKS}
    for t in glossary.terms:
        chunk = by_id[t.chunk_id]
        assert chunk.section_id == t.section_id and t.sentence
        assert t.how in {"pattern", "heading", "mention"}
    defined = {t.term: t for t in glossary.terms}
    assert defined["data drift"].sentence.startswith("Data drift (covariate shift):")
    assert defined["precision"].sentence.startswith("Precision answers:")
    assert defined["prompt injection"].section_id == "guardrails-and-graceful-degradation"
    assert defined["feedback loop"].sentence.startswith("A feedback loop exists")


@pytest.mark.parametrize(("question", "term"), [
    ("What is a golden set?", "golden set"),
    ("what's fine tuning", "fine-tuning"),
    ("What are tokens in an LLM?", "token"),
    ("Define concept drift.", "concept drift"),
    ("What does semantic search mean?", "semantic search"),
])
def test_definition_questions_find_their_term(glossary: Glossary, question: str, term: str) -> None:
    found = glossary.defined_subject(question)
    assert found is not None and found.term == term


@pytest.mark.parametrize("question", [
    "What is the difference between data drift and concept drift?",
    "What is RAG and why do so many companies use it for internal assistants?",
    "What is the price of OpenAI's embedding API per token?",
    "How do I reduce overfitting?",
])
def test_other_questions_are_not_definitions(glossary: Glossary, question: str) -> None:
    assert glossary.defined_subject(question) is None


def test_spans_mark_terms_without_overlap(glossary: Glossary) -> None:
    text = "Data drift and concept drift both need monitoring; fine-tuning will not fix them."
    spans = glossary.spans(text)
    assert [text[a:b] for a, b, _ in spans] == ["Data drift", "concept drift", "fine-tuning"]
