"""The extractive answerer: verbatim guide sentences with valid citations, answers shaped by the question,
definitions never declined, and one-sentence declines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.settings import ROOT
from rag.answerer import ExtractiveAnswerer, GuideAnswer, NearSection, decline_message, plain, sentences
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest
from rag.retrieval import HybridRetriever
from rag.signals import DeclineModel
from tests.fakes import HashEmbedder, MemoryStore

SECTIONS = load_guide(ROOT / "content" / "guide")
QA_CALIB = ROOT / "evals" / "datasets" / "guide_qa_calib.jsonl"
_PIECE = re.compile(r"(.+?) \[(\d+)\](?:\s|$)")


@pytest.fixture(scope="module")
def retriever() -> HybridRetriever:
    chunks = chunk_guide(SECTIONS)
    store, emb = MemoryStore(), HashEmbedder()
    ingest(chunks, store, emb)
    return HybridRetriever(chunks, emb, store)


@pytest.fixture(scope="module")
def answerer(retriever: HybridRetriever) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(retriever, min_similarity=0.05)


def _pieces(ans: GuideAnswer) -> list[tuple[str, int]]:
    pieces = [(s, int(n)) for s, n in _PIECE.findall(ans.answer)]
    assert pieces and " ".join(f"{s} [{n}]" for s, n in pieces) == ans.answer
    return pieces


def test_every_answer_sentence_is_guide_text_with_a_valid_citation(answerer: ExtractiveAnswerer) -> None:
    ans = answerer.answer("How much should I budget per hour for expert labellers versus general labellers?")
    assert ans.grounded and ans.citations
    numbers = {c.n for c in ans.citations}
    assert numbers == set(range(1, len(numbers) + 1))
    by_n = {c.n: c for c in ans.citations}
    for sentence, n in _pieces(ans):
        section = next(s for s in SECTIONS if s.id == by_n[n].section_id)
        assert any(sentence in sentences(c) or sentence in plain(c.text) for c in chunk_guide([section]))
        assert sentence in by_n[n].snippet


@pytest.mark.parametrize("question", [
    "When should I use RAG instead of fine-tuning?",
    "How do I evaluate an LLM feature before launch?",
    "What should the product do when the model is unsure?",
])
def test_answers_have_two_to_five_sentences_in_guide_order(answerer: ExtractiveAnswerer, question: str) -> None:
    """The most relevant section leads; within a section, sentences keep the guide's order."""
    ans = answerer.answer(question)
    pieces = _pieces(ans)
    assert 2 <= len(pieces) <= 5
    order = {c.id: i for i, c in enumerate(answerer.retriever.chunks)}
    by_section: dict[int, list[tuple[int, int]]] = {}
    for sentence, n in pieces:
        i, pos = next((order[c.id], answerer.ranker.sentences(c).index(s))
                      for c in answerer.retriever.chunks for s in answerer.ranker.sentences(c) if s.text == sentence)
        by_section.setdefault(n, []).append((i, pos))
    assert all(p == sorted(p) for p in by_section.values())
    assert [n for _, n in pieces] == sorted(n for _, n in pieces)  # each section's sentences stay together


def test_a_definition_starts_with_the_defining_sentence_and_is_never_declined(retriever: HybridRetriever) -> None:
    # A threshold no question can clear: only the glossary rule can answer.
    strict = ExtractiveAnswerer(retriever, min_similarity=0.99)
    ans = strict.answer("What is a golden set?")
    assert ans.grounded
    term = strict.glossary.defined_subject("What is a golden set?")
    assert term is not None and ans.answer.startswith(term.sentence)
    assert ans.citations[0].section_id == term.section_id
    assert len(_pieces(ans)) >= 2
    assert strict.answer("What is data drift?").answer.startswith("Data drift (covariate shift):")


def test_a_how_do_i_question_gets_the_steps(answerer: ExtractiveAnswerer) -> None:
    ans = answerer.answer("How do I run a labelling programme that produces good labels?")
    text = ans.answer
    assert ans.grounded
    assert sum(step in text for step in ("Guidelines:", "Gold questions:", "Inter-annotator agreement:",
                                         "Pilot first:", "Tiered review:")) >= 3


def test_declines_in_one_sentence_and_names_only_relevant_sections(retriever: HybridRetriever) -> None:
    ans = ExtractiveAnswerer(retriever, min_similarity=0.99).answer("What is a good sourdough recipe?")
    assert not ans.grounded and ans.citations == []
    assert ans.answer.startswith("The guide doesn't cover that question;")
    assert ans.answer.count(".") == 1 and ans.answer.endswith(".")
    assert all(n.title in ans.answer for n in ans.nearest)
    floor = DeclineModel.untrained()
    floor = DeclineModel(floor.mean, floor.scale, floor.coef, floor.intercept, floor.threshold, 0.99)
    far = ExtractiveAnswerer(retriever, min_similarity=0.99, decline_model=floor).answer("Capital of France?")
    assert far.nearest == [] and "it is about" in far.answer


def test_decline_message_is_one_sentence() -> None:
    one = decline_message([NearSection("a", "Alpha", 0.4)])
    two = decline_message([NearSection("a", "Alpha", 0.4), NearSection("b", "Beta", 0.3)])
    assert one.endswith("the closest section is \u201cAlpha\u201d.")
    assert two.endswith("sections are \u201cAlpha\u201d and \u201cBeta\u201d.")
    assert "cover that question" in decline_message([]) and decline_message([]).count(".") == 1


def test_answers_are_deterministic(answerer: ExtractiveAnswerer) -> None:
    q = "What is the difference between precision and recall?"
    assert answerer.answer(q) == answerer.answer(q)


def test_prepare_retrieves_once_and_reports_its_signals(retriever: HybridRetriever) -> None:
    emb = retriever.embedder
    assert isinstance(emb, HashEmbedder)
    a = ExtractiveAnswerer(retriever, min_similarity=0.05)
    retriever.sentences.warm()
    before = len(emb.calls)
    p = a.prepare("How should I monitor a model for drift in production?")
    assert len(emb.calls) - before == 1  # the question, embedded once
    assert p.signals is not None and 0 <= p.signals.body_coverage <= 1 and p.sentences == len(_pieces(p.answer))


def test_every_guide_sentence_is_scored_and_the_best_ones_join_the_pool(retriever: HybridRetriever) -> None:
    """The reranker scores the whole guide, so the chunk holding the best sentence is a candidate even when
    chunk retrieval ranks it low."""
    a = ExtractiveAnswerer(retriever, min_similarity=0.05)
    q = "Which checks catch a labeller who guesses?"
    r = retriever.search(q, k=6)
    assert r.qvec is not None and r.chunk_sims
    scored = a.ranker.score(q, r.qvec, r.chunk_sims)
    assert scored.features.shape == (len(a.ranker.flat), 6) and len(scored.scores) == len(a.ranker.flat)
    best_chunk = retriever.chunks[int(retriever.sentences.owner[int(scored.scores.argmax())])]
    assert best_chunk.id in {c.id for c in a.pool_chunks(r, scored)}
    pool = a.ranker.candidates(scored, [best_chunk])
    assert max(c.score for c in pool) == float(scored.scores.max())


def test_the_decline_decision_keeps_its_out_of_fold_figures(tmp_path: Path) -> None:
    import numpy as np

    from rag.signals import FEATURES, Signals, fit

    rng = np.random.default_rng(0)
    sigs = [Signals(*(rng.random(len(FEATURES)) + (0.5 if i % 2 else 0.0))) for i in range(40)]
    model = fit(sigs, [rng.normal(size=4) for _ in sigs], [bool(i % 2) for i in range(40)],
                [0.5] * 40, "t", "hash", groups=[f"W{i % 4}" for i in range(40)])
    assert 0.0 < model.cv_precision <= 1.0 and 0.0 < model.cv_recall <= 1.0
    assert 0.0 < model.writer_precision <= 1.0 and 0.0 < model.writer_recall <= 1.0
    path = tmp_path / "decline.json"
    model.save(path)
    assert DeclineModel.load(path) == model


def test_plain_strips_markdown_emphasis_and_list_markers() -> None:
    assert plain("- **Exploration:** keep `5-10%` of slots") == "Exploration: keep 5-10% of slots"


def test_a_lead_in_never_ends_up_without_its_list(answerer: ExtractiveAnswerer) -> None:
    """A sentence that introduces a list ("Each function needs a different message:") is answered with some of
    the list's items, never alone."""
    leads = {s.text: (c, s) for c in answerer.retriever.chunks for s in answerer.ranker.sentences(c) if s.lead_in}
    questions = [json.loads(x)["question"] for x in QA_CALIB.read_text(encoding="utf-8").splitlines() if x.strip()]
    checked = 0
    for q in questions:
        ans = answerer.answer(q)
        if not ans.grounded:
            continue
        said = [s for s, _ in _pieces(ans)]
        for text in said:
            if text in leads:
                chunk, lead = leads[text]
                items = [s.text for s in answerer.ranker.sentences(chunk) if s.list_item and s.pos > lead.pos]
                assert any(i in said for i in items), (q, text)
                checked += 1
    assert checked  # the questions do reach lead-ins


def test_the_decline_cut_is_chosen_with_each_writer_left_out() -> None:
    """Two writers who each phrase their questions alike: five random folds keep each writer on both sides and
    see an easy problem, leaving one writer out does not; the cut follows the harder, honest figures."""
    import numpy as np

    from rag.signals import FEATURES, Signals, fit

    rng = np.random.default_rng(1)
    n = 60
    answerable = [bool(i % 2) for i in range(n)]
    writers = ["A" if i < n // 2 else "B" for i in range(n)]
    # The scalar signals barely separate the classes; each writer's embedding says "answerable" in a dimension of
    # its own, which a model fitted on the other writer alone has no reason to weigh.
    sigs = [Signals(*(rng.random(len(FEATURES)) * 0.5 + (0.05 if a else 0.0))) for a in answerable]
    qvecs = [np.eye(2)[0 if w == "A" else 1] * (1.0 if a else -1.0) + rng.normal(scale=0.1, size=2)
             for w, a in zip(writers, answerable)]
    grouped = fit(sigs, qvecs, answerable, [0.5] * n, "t", "hash", groups=writers)
    plain = fit(sigs, qvecs, answerable, [0.5] * n, "t", "hash")
    assert plain.writer_precision == 0.0 and plain.writer_recall == 0.0  # no groups, no grouped figures
    assert plain.cv_precision > 0.9  # random folds see each writer's convention in training
    assert min(grouped.writer_precision, grouped.writer_recall) < min(plain.cv_precision, plain.cv_recall)
