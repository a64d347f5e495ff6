"""Retrieval and answer quality with the real embedder on the held-out guide QA set, with the shipped fits.

The floors below sit a little under the figures measured when the fits were last made (README, "How retrieval
works, and how well"), so that a regression fails while run-to-run noise does not; they are not the issue's
targets, several of which are not met yet.
"""

from __future__ import annotations

import pytest

from app.settings import ROOT
from rag.answerer import ExtractiveAnswerer
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest
from rag.quality import answer_report, best_threshold, load_qa, report, score_items
from rag.retrieval import HybridRetriever, Mode
from rag.store import ChromaStore

pytestmark = pytest.mark.slow
DATASETS = ROOT / "evals" / "datasets"


@pytest.fixture(scope="module")
def retriever(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:  # type: ignore[no-untyped-def]
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    store = ChromaStore.persistent(tmp_path_factory.mktemp("chroma"), "guide")
    ingest(chunks, store, real_embedder)
    return HybridRetriever(chunks, real_embedder, store)


def test_guide_qa_dataset_has_80_questions_and_15_off_guide() -> None:
    items = load_qa(DATASETS / "guide_qa.jsonl")
    sections = {s.id for s in load_guide(ROOT / "content" / "guide")}
    assert len(items) >= 80 and sum(not i.answerable for i in items) >= 15
    assert all(set(i.section_ids) <= sections and (bool(i.section_ids) == i.answerable) for i in items)
    calib = {i.question.lower() for i in load_qa(DATASETS / "guide_qa_calib.jsonl")}
    assert not calib & {i.question.lower() for i in items}, "calibration and test sets must not overlap"


def test_hybrid_recall_holds(retriever: HybridRetriever) -> None:
    items = load_qa(DATASETS / "guide_qa.jsonl")
    rep = report(score_items(retriever, items, Mode.hybrid), Mode.hybrid,
                 best_threshold(score_items(retriever, load_qa(DATASETS / "guide_qa_calib.jsonl"), Mode.hybrid)))
    assert rep.recall[1] >= 0.78 and rep.recall[5] >= 0.93


def test_the_dataset_carries_facts_definitions_and_near_misses() -> None:
    items = load_qa(DATASETS / "guide_qa.jsonl")
    assert sum(bool(i.facts) for i in items if i.answerable) >= 80
    assert sum(i.kind == "definition" for i in items) >= 20
    assert sum(i.kind == "near_miss" for i in items) >= 15
    assert all(i.facts for i in items if i.answerable)


def test_answers_on_the_held_out_set(retriever: HybridRetriever) -> None:
    """End to end, with the decision and the reranking head fitted on the calibration set only."""
    rep = answer_report(ExtractiveAnswerer(retriever), load_qa(DATASETS / "guide_qa.jsonl"), "held out")
    assert rep.false_declines_defined == 0
    assert rep.fact_recall >= 0.75
    assert 2 <= rep.median_sentences <= 5
    assert rep.decline_precision >= 0.88 and rep.decline_recall >= 0.95


def test_hybrid_ranks_best_at_the_top(retriever: HybridRetriever) -> None:
    """Hybrid beats either list alone at rank 1 and on MRR. (At rank 5 dense alone is slightly ahead since the
    sentence list was added; the README reports the trade.)"""
    items = load_qa(DATASETS / "guide_qa.jsonl")
    reps = {m: report(score_items(retriever, items, m), m, 0.0) for m in Mode}
    assert reps[Mode.hybrid].recall[1] >= max(reps[Mode.dense].recall[1], reps[Mode.bm25].recall[1])
    assert reps[Mode.hybrid].mrr >= max(reps[Mode.dense].mrr, reps[Mode.bm25].mrr)
