"""Answering questions from the guide: the Answerer Protocol and the embedded extractive answerer.

The extractive answerer never writes new claims: every sentence of its answer is a sentence of the guide, chosen
for how well it answers the question (rag/compose.py), and each carries a `[n]` citation to its section. Whether
to answer at all is decided from several signals by a model fitted on the calibration set (rag/signals.py), after
the answer is composed, so that a best-effort passage which does not address the question becomes a decline
that names the nearest relevant section. A term the guide defines is never declined (rag/glossary.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from rag.chunking import Chunk, slugify
from rag.compose import (
    Candidate,
    RerankHead,
    SentenceRanker,
    SentenceScores,
    compose_definition,
    compose_general,
    compose_steps,
    is_howto,
)
from rag.glossary import Glossary, Term
from rag.lexical import tokenize
from rag.retrieval import HybridRetriever, Mode, Retrieval
from rag.signals import DeclineModel, Signals, retrieval_signals, weighted_share
from rag.text import plain, sentences

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MIN_SIMILARITY", "Answerer", "Citation", "ExtractiveAnswerer", "GuideAnswer", "NearSection",
           "Prepared", "decline_message", "plain", "sentences"]

# No fixed similarity cut by default: the fitted multi-signal decision in rag/data/decline.json decides.
# ANSWER_MIN_SCORE, when set, replaces it with a plain cut on the best dense similarity.
DEFAULT_MIN_SIMILARITY: float | None = None

_CANDIDATE_CHUNKS = 4
_EXTRA_CHUNKS = 4  # chunks ranked by their best sentence, added to the pool when retrieval missed them
_MAX_NEAREST = 2
_SCOPE = ("building and interviewing for AI products: evaluation, data and labelling, models and retrieval, "
          "metrics, launch, responsible AI and interview practice")


@dataclass(frozen=True)
class Citation:
    n: int
    section_id: str
    title: str
    snippet: str
    score: float
    anchor: str = ""
    chunk_id: str = ""


@dataclass(frozen=True)
class NearSection:
    section_id: str
    title: str
    score: float


@dataclass(frozen=True)
class GuideAnswer:
    answer: str
    grounded: bool
    citations: list[Citation] = field(default_factory=list)
    nearest: list[NearSection] = field(default_factory=list)


class Answerer(Protocol):
    """Answers a question from the guide, citing sections, or declines when the guide does not cover it."""

    def answer(self, question: str) -> GuideAnswer: ...


@dataclass(frozen=True)
class Prepared:
    """One question's retrieval, signals and extractive answer; the LLM answerer reuses it (one retrieval)."""

    retrieval: Retrieval
    answer: GuideAnswer
    signals: Signals | None = None
    term: Term | None = None
    p_answerable: float | None = None
    sentences: int = 0


def decline_message(nearest: list[NearSection]) -> str:
    """One sentence: what is missing and where to look, or what the guide does cover."""
    if not nearest:
        return f"The guide doesn't cover that question; it is about {_SCOPE}."
    names = " and ".join(f"\u201c{n.title}\u201d" for n in nearest)
    which = "section is" if len(nearest) == 1 else "sections are"
    return f"The guide doesn't cover that question; the closest {which} {names}."


class ExtractiveAnswerer:
    """Composes 2-5 guide sentences that answer the question, or declines."""

    def __init__(self, retriever: HybridRetriever, min_similarity: float | None = DEFAULT_MIN_SIMILARITY,
                 glossary: Glossary | None = None, decline_model: DeclineModel | None = None,
                 head: RerankHead | None = None) -> None:
        self.retriever = retriever
        self.min_similarity = min_similarity
        self.glossary = glossary or Glossary.from_chunks(retriever.chunks)
        self.model = decline_model or DeclineModel.load()
        if self.model.embedder and self.model.embedder != retriever.embedder.name:
            log.warning("the decline decision was fitted with embedder %s, not %s; using the similarity cut "
                        "until `python -m rag calibrate --write` is rerun", self.model.embedder,
                        retriever.embedder.name)
            self.model = DeclineModel.untrained()
        self.ranker = SentenceRanker(retriever.chunks, retriever.sentences, retriever.lexical, head)
        self._heading_terms = {t for c in retriever.chunks for h in c.heading_path for t in tokenize(h)}
        self._chunks = {c.id: c for c in retriever.chunks}

    def nearest(self, r: Retrieval, n: int = 3, floor: float = 0.0) -> list[NearSection]:
        out: dict[str, NearSection] = {}
        for h in sorted(r.hits, key=lambda h: -h.similarity):
            if h.similarity >= floor and h.chunk.section_id not in out:
                out[h.chunk.section_id] = NearSection(h.chunk.section_id, h.chunk.section_title, round(h.similarity, 4))
        return list(out.values())[:n]

    def decline(self, r: Retrieval) -> GuideAnswer:
        near = self.nearest(r, _MAX_NEAREST, self.model.relevance_floor)
        return GuideAnswer(decline_message(near), grounded=False, nearest=near)

    def answer(self, question: str) -> GuideAnswer:
        return self.prepare(question).answer

    def prepare(self, question: str) -> Prepared:
        r = self.retriever.search(question, k=6, mode=Mode.hybrid, expand=True)
        assert r.qvec is not None
        scored = self.ranker.score(r.searched, r.qvec, r.chunk_sims)
        term = self.glossary.defined_subject(question)
        if term is not None:
            chosen = self._definition(scored, r, term)
            if chosen:
                return Prepared(r, self._cite(chosen, r), term=term, p_answerable=1.0, sentences=len(chosen))
        pool = self.ranker.candidates(scored, self.pool_chunks(r, scored))
        if not pool:
            return Prepared(r, self.decline(r))
        best = max(c.score for c in pool)
        chosen = (compose_steps(pool, best) if is_howto(question) else None) or \
            compose_general(question, pool, self.ranker, self.retriever.lexical)
        qterms = set(tokenize(question))
        found = set().union(*(c.terms for c in chosen))
        signals = Signals(**retrieval_signals(question, r.confidence, r.lexical_top, self.retriever.lexical,
                                              self._heading_terms, self.glossary),
                          support=best, answer_coverage=weighted_share(qterms, found, self.retriever.lexical),
                          **scored.tops())
        p = self.model.p_answerable(signals, r.qvec)
        answers = (r.confidence >= self.min_similarity if self.min_similarity is not None
                   else p >= self.model.threshold)
        if not answers:
            return Prepared(r, self.decline(r), signals, p_answerable=p)
        return Prepared(r, self._cite(chosen, r), signals, p_answerable=p, sentences=len(chosen))

    def pool_chunks(self, r: Retrieval, scored: SentenceScores) -> list[Chunk]:
        """The top retrieved chunks, then the chunks holding the guide's best-scoring sentences."""
        out = [h.chunk for h in r.hits[:_CANDIDATE_CHUNKS]]
        seen = {c.id for c in out}
        for i in scored.top_chunks(self.retriever.sentences.owner, _EXTRA_CHUNKS):
            chunk = self.retriever.chunks[i]
            if chunk.id not in seen:
                seen.add(chunk.id)
                out.append(chunk)
        return out

    def _definition(self, scored: SentenceScores, r: Retrieval, term: Term) -> list[Candidate]:
        chunk = self._chunks.get(term.chunk_id)
        if chunk is None:
            return []
        pool = self.ranker.candidates(scored, [chunk])
        anchor = next((c for c in pool if c.sentence.text == term.sentence), None)
        if anchor is None:
            return []
        others = self.ranker.candidates(scored, [h.chunk for h in r.hits[:2] if h.chunk.id != chunk.id])
        # Each name's rarest word: "card" in "model card", since "model" is in half the guide's sentences.
        idf = self.retriever.lexical.idf
        names = frozenset(max(ts, key=idf) for ts in (tokenize(n) for n in term.names) if ts)
        return compose_definition(anchor, pool, others, names)

    def _cite(self, chosen: list[Candidate], r: Retrieval) -> GuideAnswer:
        sims = {h.chunk.id: h.similarity for h in r.hits}
        numbers: dict[str, int] = {}
        parts: list[str] = []
        used: dict[str, list[Candidate]] = {}
        for c in chosen:
            n = numbers.setdefault(c.chunk.section_id, len(numbers) + 1)
            parts.append(f"{c.sentence.text} [{n}]")
            used.setdefault(c.chunk.section_id, []).append(c)
        citations = []
        for sid, n in numbers.items():
            first = used[sid][0]
            anchor = slugify(first.sentence.heading) if first.sentence.heading else first.chunk.anchor
            citations.append(Citation(n=n, section_id=sid, title=first.chunk.section_title,
                                      snippet=" ".join(c.sentence.text for c in used[sid]),
                                      score=round(sims.get(first.chunk.id, 0.0), 4), anchor=anchor,
                                      chunk_id=first.chunk.id))
        return GuideAnswer(" ".join(parts), grounded=True, citations=citations, nearest=self.nearest(r))
