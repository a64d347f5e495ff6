"""BM25: ranking by rare shared terms, stemming, and coverage."""

from __future__ import annotations

from rag.lexical import BM25Index, tokenize


def test_tokenize_drops_stopwords_contractions_and_stems() -> None:
    assert tokenize("What's the labelling of labels?") == ["labell", "label"]
    assert "what" not in tokenize("What's new")


def test_bm25_ranks_the_document_with_the_rare_term_first() -> None:
    idx = BM25Index(["precision and recall trade-off", "model drift in production", "drift and recall"])
    hits = idx.search("precision", 3)
    assert hits[0].index == 0 and len(hits) == 1


def test_bm25_coverage_is_lower_for_unknown_terms() -> None:
    idx = BM25Index(["embeddings power semantic search", "labelling budgets for experts"])
    assert idx.coverage("semantic search embeddings") > idx.coverage("sourdough bread recipe")
    assert idx.coverage("") == 0.0
