"""Query-focused extractive answers: rerank guide sentences against the question, then compose 2-5 of them.

Scores combine three signals, because each misses something: dense similarity (meaning, not words), lexical
overlap (the question's rare words, such as "30-50%" or "shadow"), and coverage of the question's content words by
the sentence's heading. Composition then follows the question's shape: a definition starts with the defining
sentence, a "how do I" question gets the steps of the best list, and other questions get the best sentence plus
the sentences that cover what it leaves out. Sentences are returned in guide order so the answer reads as the
guide does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.chunking import Chunk
from rag.lexical import BM25Index, tokenize
from rag.retrieval import SentenceMatrix
from rag.text import Sentence

RERANK_FILE = Path(__file__).parent / "data" / "rerank.json"
RERANK_FEATURES = ("sentence_dense", "chunk_dense", "lexical", "heading", "rank", "list_item", "lead_in", "opens",
                   "length", "howto_item")
# Until a head is fitted: hand weights over the same features (dense, lexical overlap, heading, rank prior).
_PRIOR = (1.0, 0.0, 0.45, 0.1, 0.04, 0.0, 0.0, 0.0, 0.0, 0.0)
REDUNDANCY = 0.7  # sentences this similar to one already chosen add nothing
KEEP_RATIO, KEEP_FLOOR = 0.3, 0.03  # later sentences must be this likely, relative to the best and absolutely
HOWTO_SENTENCES = 4  # a "how do I" answer without a list continues the best passage to this length
GAIN, PENALTY = 1.0, 0.3  # bonus for covering new question words, penalty for overlap with chosen sentences
MIN_SENTENCES, MAX_SENTENCES = 2, 5
_HOWTO = re.compile(r"^\s*(?:how\s+(?:do|should|can|would|could|might)\s+(?:i|we|you|a\s+pm|teams?)\b|how\s+to\b|"
                    r"what\s+(?:are\s+the\s+)?steps\b|steps\s+to\b|ways\s+to\b|what'?s\s+the\s+best\s+way\b)", re.I)


@lru_cache(maxsize=8192)
def _terms(text: str) -> frozenset[str]:
    """A guide sentence's or heading's terms; the guide has about a thousand sentences, so this stays small."""
    return frozenset(tokenize(text))


def is_howto(question: str) -> bool:
    return bool(_HOWTO.search(question))


@dataclass(frozen=True)
class RerankHead:
    """A linear head over RERANK_FEATURES, fitted by `python -m rag calibrate` (logistic regression on whether a
    sentence holds one of a calibration question's expected facts)."""

    coef: tuple[float, ...]
    intercept: float = 0.0
    fitted: bool = False  # a fitted head scores with a probability, the prior with a raw weighted sum

    def score(self, x: np.ndarray) -> np.ndarray:
        z = x @ np.array(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z)) if self.fitted else z

    def save(self, path: Path = RERANK_FILE) -> None:
        path.write_text(json.dumps({"features": RERANK_FEATURES, "coef": self.coef, "intercept": self.intercept},
                                   indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = RERANK_FILE) -> RerankHead:
        if not path.exists():
            return cls(_PRIOR)
        d = json.loads(path.read_text(encoding="utf-8"))
        if tuple(d["features"]) != RERANK_FEATURES:
            raise ValueError(f"{path}: fitted on other features; run `python -m rag calibrate --write`")
        return cls(tuple(d["coef"]), float(d["intercept"]), True)


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    rank: int  # the chunk's rank in retrieval
    order: int  # the chunk's position in the guide
    sentence: Sentence
    score: float
    terms: frozenset[str]
    features: tuple[float, ...] = ()


class SentenceRanker:
    """Scores chunks' sentences against a question, with the retriever's sentence vectors."""

    def __init__(self, chunks: list[Chunk], matrix: SentenceMatrix, lexical: BM25Index,
                 head: RerankHead | None = None) -> None:
        self.matrix = matrix
        self.lexical = lexical
        self.head = head or RerankHead.load()
        self.chunks = chunks
        self._order = {c.id: i for i, c in enumerate(chunks)}

    def sentences(self, chunk: Chunk) -> list[Sentence]:
        return self.matrix.sentences[self._order[chunk.id]]

    def vectors(self, chunk: Chunk) -> np.ndarray:
        return self.matrix.of_chunk(self._order[chunk.id])

    def candidates(self, question: str, qvec: np.ndarray, chunks: list[tuple[Chunk, float]]) -> list[Candidate]:
        """Score the sentences of the given (chunk, chunk similarity) pairs, which come in retrieval order."""
        qterms = set(tokenize(question))
        qweight = sum(self.lexical.idf(t) for t in qterms) or 1.0
        howto = is_howto(question)
        rows: list[tuple[Chunk, int, Sentence, frozenset[str], tuple[float, ...]]] = []
        for rank, (chunk, sim) in enumerate(chunks):
            sents = self.sentences(chunk)
            if not sents:
                continue
            dense = self.vectors(chunk) @ qvec
            for s, d in zip(sents, dense):
                terms = _terms(s.text)
                lex = sum(self.lexical.idf(t) for t in qterms & terms) / qweight
                head = sum(self.lexical.idf(t) for t in qterms & _terms(s.heading)) / qweight
                feats = (float(d), float(sim), lex, head, 1.0 / (1 + rank), float(s.list_item), float(s.lead_in),
                         float(s.opens), min(len(s.text.split()) / 40, 1.5), float(howto and s.list_item))
                rows.append((chunk, rank, s, terms, feats))
        if not rows:
            return []
        scores = self.head.score(np.array([r[4] for r in rows]))
        return [Candidate(c, rank, self._order.get(c.id, rank), s, float(sc), terms, feats)
                for (c, rank, s, terms, feats), sc in zip(rows, scores)]

    def sentence_vec(self, c: Candidate) -> np.ndarray:
        return self.vectors(c.chunk)[c.sentence.pos]


def _guide_order(chosen: list[Candidate]) -> list[Candidate]:
    """Sections by their best chosen sentence (the most relevant section leads), the guide's order within each."""
    best: dict[str, float] = {}
    for c in chosen:
        best[c.chunk.section_id] = max(best.get(c.chunk.section_id, c.score), c.score)
    return sorted(chosen, key=lambda c: (-best[c.chunk.section_id], c.order, c.sentence.pos))


def _following(anchor: Candidate, pool: list[Candidate], n: int) -> list[Candidate]:
    """The anchor and up to n-1 sentences after it in the same chunk and under the same heading."""
    same = sorted((c for c in pool if c.chunk.id == anchor.chunk.id and c.sentence.pos > anchor.sentence.pos
                   and c.sentence.heading == anchor.sentence.heading), key=lambda c: c.sentence.pos)
    return [anchor, *same[:n - 1]]


def compose_definition(anchor: Candidate, pool: list[Candidate], others: list[Candidate]) -> list[Candidate]:
    """The defining sentence first, then what follows it (its example or its list); when the definition ends its
    passage, the best other sentence that mentions the same words."""
    n = 5 if anchor.sentence.lead_in else 3
    chosen = _following(anchor, pool, n)
    if len(chosen) < MIN_SENTENCES:
        rest = sorted((c for c in others if c.sentence.text != anchor.sentence.text), key=lambda c: -c.score)
        related = [c for c in rest if c.terms & anchor.terms] or rest
        chosen += related[:1]
    return chosen


def compose_steps(pool: list[Candidate], best: float, margin: float = 0.5) -> list[Candidate] | None:
    """For "how do I": the list (lead-in plus items) whose items score best, when it is close to the best
    sentence overall; None when no list answers the question."""
    blocks: dict[tuple[str, str], list[Candidate]] = {}
    for c in pool:
        if c.sentence.list_item or c.sentence.lead_in:
            blocks.setdefault((c.chunk.id, c.sentence.heading), []).append(c)
    scored = []
    for items in blocks.values():
        steps = [c for c in items if c.sentence.list_item]
        if len(steps) < 2:
            continue
        top = sorted(items, key=lambda c: -c.score)[:3]  # the lead-in counts: it says what the steps are for
        scored.append((float(np.mean([c.score for c in top])), items))
    if not scored:
        return None
    value, items = max(scored, key=lambda x: x[0])
    if value < best * margin:
        return None
    lead = [c for c in items if c.sentence.lead_in][:1]
    steps = [c for c in items if c.sentence.list_item]
    if len(steps) > MAX_SENTENCES - len(lead):
        keep = {id(c) for c in sorted(steps, key=lambda c: -c.score)[:MAX_SENTENCES - len(lead)]}
        steps = [c for c in steps if id(c) in keep]
    return _guide_order(lead + steps)


def compose_general(question: str, pool: list[Candidate], ranker: SentenceRanker,
                    lexical: BM25Index) -> list[Candidate]:
    """The best sentence, then sentences that are nearly as likely to hold what was asked, or that add the
    question's uncovered words, without repeating what is chosen; a lone sentence gets its neighbour."""
    qterms = set(tokenize(question))
    ranked = sorted(pool, key=lambda c: -c.score)
    anchor = ranked[0]
    chosen = [anchor]
    covered = set(anchor.terms & qterms)
    qweight = sum(lexical.idf(t) for t in qterms) or 1.0
    floor = max(KEEP_RATIO * anchor.score, KEEP_FLOOR)
    while len(chosen) < MAX_SENTENCES - 1:
        best: tuple[float, Candidate] | None = None
        vecs = [ranker.sentence_vec(c) for c in chosen]
        for c in ranked[1:40]:
            if c in chosen or c.score < floor:
                continue
            red = max(float(ranker.sentence_vec(c) @ v) for v in vecs)
            if red >= REDUNDANCY:
                continue
            gain = sum(lexical.idf(t) for t in (c.terms & qterms) - covered) / qweight
            value = c.score * (1 + GAIN * gain) - PENALTY * red * c.score
            if best is None or value > best[0]:
                best = (value, c)
        if best is None:
            break
        chosen.append(best[1])
        covered |= best[1].terms & qterms
    if len(chosen) < MIN_SENTENCES:
        chosen += _following(anchor, pool, 2)[1:] or ranked[1:2]
    if is_howto(question) and len(chosen) < HOWTO_SENTENCES:
        # A procedure written as prose: continue from the best sentence in the guide's own order.
        later = sorted((c for c in pool if c.chunk.id == anchor.chunk.id and c.sentence.pos > anchor.sentence.pos
                        and c not in chosen), key=lambda c: c.sentence.pos)
        chosen += later[:HOWTO_SENTENCES - len(chosen)]
    # A list item without its lead-in reads as a fragment; bring the lead-in of the best sentence's list.
    for c in list(chosen):
        if c.sentence.list_item and c.chunk.id == anchor.chunk.id and len(chosen) < MAX_SENTENCES:
            lead = [d for d in pool if d.chunk.id == c.chunk.id and d.sentence.lead_in
                    and d.sentence.heading == c.sentence.heading and d.sentence.pos < c.sentence.pos]
            if lead and lead[-1] not in chosen:
                chosen.append(lead[-1])
    return _guide_order(chosen)
