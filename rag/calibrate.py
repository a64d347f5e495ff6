"""Fitting the answerer on the calibration set only: the sentence reranking head, then the decline decision.

Both fits read evals/datasets/guide_qa_calib.jsonl; the held-out guide_qa.jsonl is never read here. The
reranking head learns which sentences hold a calibration question's expected facts; the decline decision then
learns, from the signals of answers composed with that head, which questions the guide answers.
"""

from __future__ import annotations

import logging

import numpy as np

from rag.answerer import ExtractiveAnswerer
from rag.compose import _PRIOR, RerankHead
from rag.quality import QAItem
from rag.retrieval import HybridRetriever, Mode
from rag.signals import DeclineModel, fit
from rag.support import SupportCheck, fit_threshold
from rag.text import plain

log = logging.getLogger(__name__)


def fit_head(retriever: HybridRetriever, items: list[QAItem]) -> tuple[RerankHead, int, int]:
    """Logistic regression (scikit-learn) on the features of every guide sentence for each calibration question;
    label: the sentence holds one of the question's expected facts. Returns the head and the number of (positive,
    all) training sentences."""
    from sklearn.linear_model import LogisticRegression

    answerer = ExtractiveAnswerer(retriever, decline_model=DeclineModel.untrained(), head=RerankHead(_PRIOR))
    x: list[tuple[float, ...]] = []
    y: list[int] = []
    for it in items:
        if not (it.answerable and it.facts) or it.kind == "definition":
            continue
        r = retriever.search(it.question, k=6, mode=Mode.hybrid, expand=True)  # as the answerer searches
        assert r.qvec is not None
        scored = answerer.ranker.score(r.searched, r.qvec, r.chunk_sims)
        for (_, s), feats in zip(answerer.ranker.flat, scored.features):
            text = s.text.lower()
            x.append(tuple(float(v) for v in feats))
            y.append(int(any(any(a.lower() in text for a in f) for f in it.facts)))
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(np.array(x), np.array(y))
    head = RerankHead(tuple(round(float(v), 6) for v in lr.coef_[0]), round(float(lr.intercept_[0]), 6), True)
    return head, sum(y), len(y)


def fit_decline(retriever: HybridRetriever, items: list[QAItem], head: RerankHead, name: str) -> DeclineModel:
    """The decline decision from the signals of each calibration question; definition questions are answered
    by rule (never declined), so they are left out of the fit."""
    answerer = ExtractiveAnswerer(retriever, decline_model=DeclineModel.untrained(), head=head)
    signals, qvecs, labels, sims, writers = [], [], [], [], []
    for it in items:
        p = answerer.prepare(it.question)
        if p.signals is None:
            continue
        signals.append(p.signals)
        assert p.retrieval.qvec is not None
        qvecs.append(p.retrieval.qvec)
        labels.append(it.answerable)
        sims.append(p.retrieval.confidence)
        writers.append(it.writer)
    return fit(signals, qvecs, labels, sims, name, retriever.embedder.name, writers)


def fit_support(retriever: HybridRetriever) -> tuple[float, float, int]:
    """The support threshold from pairs built from the guide: the first 60% of each sentence against its own
    chunk (supported) and against a chunk of another section (not supported). Returns (threshold, balanced
    accuracy, pairs)."""
    chunks = retriever.chunks
    matrix = retriever.sentences
    check = SupportCheck(retriever.lexical)
    claims: list[tuple[str, int, int]] = []
    for i, sents in enumerate(matrix.sentences):
        other = next(j for j in [(i + len(chunks) // 2 + k) % len(chunks) for k in range(len(chunks))]
                     if chunks[j].section_id != chunks[i].section_id)
        for s in sents:
            words = s.text.split()
            if len(words) >= 8:
                claims.append((" ".join(words[:max(5, int(len(words) * 0.6))]), i, other))
    vecs = retriever.embedder.embed([c for c, _, _ in claims])
    pos, neg = [], []
    for (claim, own, other), v in zip(claims, vecs):
        pos.append(check.score(claim, v, plain(chunks[own].text), matrix.of_chunk(own)))
        neg.append(check.score(claim, v, plain(chunks[other].text), matrix.of_chunk(other)))
    threshold, accuracy = fit_threshold(pos, neg)
    return threshold, accuracy, len(pos) + len(neg)
