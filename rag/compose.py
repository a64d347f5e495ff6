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
# Chosen by five-fold cross-validation on the calibration set (grouped by question), ranking every guide sentence:
# structural features (list item, lead-in, length, retrieval rank) lowered the rank of the sentence holding the
# expected fact, so they are left to composition rather than to the score.
RERANK_FEATURES = ("sentence_dense", "window_dense", "chunk_dense", "lexical", "heading", "sentence_bm25")
# Until a head is fitted: hand weights over the same features.
_PRIOR = (1.0, 0.5, 0.0, 0.45, 0.1, 0.2)
REDUNDANCY = 0.7  # sentences this similar to one already chosen add nothing
# Later sentences must be this likely, relative to the best and absolutely. 0.15 left a quarter of answers short of
# five sentences; 0.05 added one expected fact in five-fold cross-validation on the calibration set (0.792 -> 0.799).
KEEP_RATIO, KEEP_FLOOR = 0.05, 0.01
STEPS_MARGIN = 0.75  # a list answers a "how do I" question when its best sentence scores this share of the best
LEAD_IN_ITEMS = 3  # a lead-in chosen alone brings this many of its list's items
HOWTO_SENTENCES = 4  # a "how do I" answer without a list continues the best passage to this length
GAIN, PENALTY = 1.0, 0.3  # bonus for covering new question words, penalty for overlap with chosen sentences
MIN_SENTENCES, MAX_SENTENCES = 2, 5
DEFINITION_SENTENCES = 3  # the definition and two sentences that explain or illustrate it
GENERAL_SENTENCES = 5  # five rather than four lifted calibration fact recall from 0.822 to 0.861
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
        z: np.ndarray = x @ np.array(self.coef) + self.intercept
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
    rank: int  # the chunk's rank in the pool (retrieval order first)
    order: int  # the chunk's position in the guide
    sentence: Sentence
    score: float
    terms: frozenset[str]
    features: tuple[float, ...] = ()


@dataclass(frozen=True)
class SentenceScores:
    """Every guide sentence scored against one question: computed once, then read by each composition step."""

    question: str
    features: np.ndarray  # (sentences, RERANK_FEATURES)
    scores: np.ndarray  # the head's score per sentence

    def tops(self) -> dict[str, float]:
        """The best sentence's and the best window's dense similarity: decline signals (rag/signals.py)."""
        if not len(self.features):
            return {"sentence_top": 0.0, "window_top": 0.0}
        return {"sentence_top": float(self.features[:, 0].max()), "window_top": float(self.features[:, 1].max())}

    def top_chunks(self, owner: np.ndarray, n: int) -> list[int]:
        """The chunks holding the n best-scoring sentences, best first, each once."""
        out: list[int] = []
        for j in np.argsort(-self.scores, kind="stable"):
            i = int(owner[j])
            if i not in out:
                out.append(i)
                if len(out) == n:
                    break
        return out


class SentenceRanker:
    """Scores every guide sentence against a question with the retriever's sentence vectors, then builds
    candidates from the chunks composition may draw on."""

    def __init__(self, chunks: list[Chunk], matrix: SentenceMatrix, lexical: BM25Index,
                 head: RerankHead | None = None) -> None:
        self.matrix = matrix
        self.lexical = lexical
        self.head = head or RerankHead.load()
        self.chunks = chunks
        self._order = {c.id: i for i, c in enumerate(chunks)}
        flat = [(i, s) for i, ss in enumerate(matrix.sentences) for s in ss]
        self.flat = flat
        self._terms = [_terms(s.text) for _, s in flat]
        self._bm25 = BM25Index([s.text for _, s in flat])
        # The heading a sentence sits under, and its section's title: "Gold questions" in a question is a strong
        # hint even when the sentence itself says "known answers".
        self._postings: dict[str, list[int]] = {}
        self._heading_postings: dict[str, list[int]] = {}
        for j, (i, s) in enumerate(flat):
            for t in self._terms[j]:
                self._postings.setdefault(t, []).append(j)
            for t in _terms(s.heading) | _terms(chunks[i].section_title):
                self._heading_postings.setdefault(t, []).append(j)
        self._row = {(i, s.pos): j for j, (i, s) in enumerate(flat)}

    def sentences(self, chunk: Chunk) -> list[Sentence]:
        return self.matrix.sentences[self._order[chunk.id]]

    def vectors(self, chunk: Chunk) -> np.ndarray:
        return self.matrix.of_chunk(self._order[chunk.id])

    def score(self, question: str, qvec: np.ndarray, chunk_sims: dict[int, float]) -> SentenceScores:
        """Features and scores for every guide sentence (a few vectorised passes over about a thousand rows)."""
        n = len(self.flat)
        qterms = set(tokenize(question))
        qweight = sum(self.lexical.idf(t) for t in qterms) or 1.0
        lex, head = np.zeros(n), np.zeros(n)
        for t in qterms:
            w = self.lexical.idf(t) / qweight
            lex[self._postings.get(t, [])] += w
            head[self._heading_postings.get(t, [])] += w
        chunk = np.array([chunk_sims.get(int(i), 0.0) for i in self.matrix.owner]) if n else np.zeros(0)
        bm25 = self._bm25.scores(question) / self._bm25.ideal(question) if n else np.zeros(0)
        x = np.column_stack([self.matrix.vectors @ qvec, self.matrix.windows @ qvec, chunk, lex, head,
                             np.minimum(bm25, 1.5)]) if n else np.zeros((0, len(RERANK_FEATURES)))
        return SentenceScores(question, x, self.head.score(x) if n else np.zeros(0))

    def candidates(self, scored: SentenceScores, chunks: list[Chunk]) -> list[Candidate]:
        """The sentences of the given chunks (in pool order) as candidates carrying their scores."""
        out: list[Candidate] = []
        for rank, chunk in enumerate(chunks):
            i = self._order[chunk.id]
            for s in self.matrix.sentences[i]:
                j = self._row[(i, s.pos)]
                out.append(Candidate(chunk, rank, i, s, float(scored.scores[j]), self._terms[j],
                                     tuple(float(v) for v in scored.features[j])))
        return out

    def sentence_vec(self, c: Candidate) -> np.ndarray:
        row: np.ndarray = self.vectors(c.chunk)[c.sentence.pos]
        return row


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


def compose_definition(anchor: Candidate, pool: list[Candidate], others: list[Candidate],
                       names: frozenset[str] = frozenset()) -> list[Candidate]:
    """The defining sentence first, then what follows it (its example or its list); when the definition ends its
    passage, the best other sentences that use the term's own words (`names`), so that a term the guide only
    mentions in passing ("a small golden set of 100-200 real questions") is explained by the sentences around
    the idea rather than by that one sentence alone."""
    n = 5 if anchor.sentence.lead_in else DEFINITION_SENTENCES
    chosen = _following(anchor, pool, n)
    texts = {c.sentence.text for c in chosen}
    rest = sorted((c for c in others if c.sentence.text not in texts), key=lambda c: -c.score)
    related = [c for c in rest if c.terms & names]
    chosen += related[:max(0, n - len(chosen))]
    if len(chosen) < MIN_SENTENCES:
        near = [c for c in rest if c.terms & anchor.terms and c not in chosen] or rest
        chosen += near[:1]
    return _complete_lists(chosen, pool + others, anchor, make_room=False)


def compose_steps(pool: list[Candidate], best: float, margin: float | None = None) -> list[Candidate] | None:
    """For "how do I": the list (lead-in plus items) holding the best-scoring sentence among lists, when that
    sentence is close to the best overall; None when no list answers the question."""
    blocks: dict[tuple[str, str], list[Candidate]] = {}
    for c in pool:
        if c.sentence.list_item or c.sentence.lead_in:
            blocks.setdefault((c.chunk.id, c.sentence.heading), []).append(c)
    scored = []
    for items in blocks.values():
        steps = [c for c in items if c.sentence.list_item]
        if len(steps) < 2:
            continue
        # The block's best sentence, the lead-in included (it says what the steps are for): the head's scores are
        # probabilities, so a mean over items would let one strong lead-in drown in its plainly worded steps.
        scored.append((max(c.score for c in items), items))
    if not scored:
        return None
    value, items = max(scored, key=lambda x: x[0])
    if value < best * (STEPS_MARGIN if margin is None else margin):
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
    while len(chosen) < GENERAL_SENTENCES:
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
    return _guide_order(_complete_lists(chosen, pool, anchor))


def _list_items(lead: Candidate, pool: list[Candidate]) -> list[Candidate]:
    """The items of the list a lead-in introduces: the run of list items right after it, under its heading."""
    out: list[Candidate] = []
    after = sorted((c for c in pool if c.chunk.id == lead.chunk.id and c.sentence.pos > lead.sentence.pos),
                   key=lambda c: c.sentence.pos)
    for c in after:
        if not c.sentence.list_item or c.sentence.heading != lead.sentence.heading:
            break
        out.append(c)
    return out


def _complete_lists(chosen: list[Candidate], pool: list[Candidate], anchor: Candidate,
                    make_room: bool = True) -> list[Candidate]:
    """A lead-in chosen without any of its items ("Each function needs a different message:") promises a list
    the answer never gives; bring its LEAD_IN_ITEMS best items. With `make_room` the weakest other sentences
    give way to stay within MAX_SENTENCES (on the calibration set this found two more expected facts and lost
    none); without it (a definition, read in the guide's order) only what fits is added, and a lead-in with no
    room for its items is dropped."""
    for lead in [c for c in chosen if c.sentence.lead_in]:
        items = _list_items(lead, pool)
        if not items or any(c in chosen for c in items):
            continue
        add = sorted(sorted(items, key=lambda c: -c.score)[:LEAD_IN_ITEMS], key=lambda c: c.sentence.pos)
        if make_room:
            spare = sorted((c for c in chosen if c is not anchor and c is not lead), key=lambda c: c.score)
            while len(chosen) + len(add) > MAX_SENTENCES and spare:
                weakest = spare.pop(0)
                chosen = [c for c in chosen if c is not weakest]
        add = add[:max(MAX_SENTENCES - len(chosen), 0)]
        chosen = chosen + add if add or lead is anchor else [c for c in chosen if c is not lead]
    return chosen
