"""Answering questions from the guide: the Answerer Protocol and the embedded extractive answerer.

The extractive answerer never writes new claims: every sentence of its answer is a sentence of the guide,
chosen for how well it answers the question, and each carries a `[n]` citation to its section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.chunking import Chunk
from rag.retrieval import HybridRetriever, Mode, Retrieval

# Refusal threshold on the best dense cosine similarity between the question and any guide chunk.
# Calibrated with `python -m rag calibrate` on evals/datasets/guide_qa_calib.jsonl (84 on-guide, 39 off-guide
# questions, kept apart from the reported guide_qa.jsonl). The two groups overlap: on-guide questions score
# 0.21-0.68 (median 0.39), off-guide ones 0.05-0.54 (median 0.22), because near misses such as "how is attention
# computed" share vocabulary with the guide. The cut with the fewest calibration errors is 0.24; there, 88% of
# declined calibration questions are truly off-guide. Declining wrongly hides a real answer, answering wrongly
# only shows guide sentences (never invented text), so the cut is not pushed higher to catch more near misses.
DEFAULT_MIN_SIMILARITY = 0.24

_MAX_SENTENCES = 3
_CANDIDATE_CHUNKS = 4


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


_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def plain(text: str) -> str:
    """Markdown to plain text for snippets: drop emphasis, list markers and heading marks."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.M).strip()


def sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentences, without headings; list items count as sentences."""
    out: list[str] = []
    for line in chunk.text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for s in _SENT.split(plain(line)):
            s = s.strip()
            if len(s.split()) >= 5:
                out.append(s)
    return out


def decline_message(nearest: list[NearSection]) -> str:
    if not nearest:
        return "The guide doesn't cover that question."
    names = ", ".join(f"\u201c{n.title}\u201d" for n in nearest)
    return f"The guide doesn't cover that question. The nearest sections are {names}."


class ExtractiveAnswerer:
    """Picks the guide sentences that best answer the question (MMR over sentence embeddings)."""

    def __init__(self, retriever: HybridRetriever, min_similarity: float = DEFAULT_MIN_SIMILARITY) -> None:
        self.retriever = retriever
        self.min_similarity = min_similarity
        self._sentence_vecs: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_vecs]
        if missing:
            for t, v in zip(missing, self.retriever.embedder.embed(missing)):
                self._sentence_vecs[t] = v
        return np.stack([self._sentence_vecs[t] for t in texts])

    def nearest(self, r: Retrieval, n: int = 3) -> list[NearSection]:
        out: dict[str, NearSection] = {}
        for h in r.hits:
            if h.chunk.section_id not in out:
                out[h.chunk.section_id] = NearSection(h.chunk.section_id, h.chunk.section_title, round(h.similarity, 4))
        return list(out.values())[:n]

    def answer(self, question: str) -> GuideAnswer:
        r = self.retriever.search(question, k=6, mode=Mode.hybrid)
        if not r.hits or r.confidence < self.min_similarity:
            near = self.nearest(r)
            return GuideAnswer(decline_message(near), grounded=False, nearest=near)
        qvec = self.retriever.embed_query(question)
        cands: list[tuple[int, int, str]] = []  # (chunk rank, sentence position, text)
        for rank, h in enumerate(r.hits[:_CANDIDATE_CHUNKS]):
            cands += [(rank, pos, s) for pos, s in enumerate(sentences(h.chunk))]
        if not cands:
            near = self.nearest(r)
            return GuideAnswer(decline_message(near), grounded=False, nearest=near)
        vecs = self._vectors([c[2] for c in cands])
        rel = vecs @ qvec
        # A small prior for higher-ranked chunks: fusion already weighed lexical evidence the sentence
        # cosine cannot see.
        rel = rel + np.array([0.05 / (1 + c[0]) for c in cands])
        chosen: list[int] = []
        best = float(rel.max())
        while len(chosen) < _MAX_SENTENCES:
            # Near-paraphrases (sections restate key facts) are skipped outright; the rest are MMR-penalised.
            redundancy = {i: max((float(vecs[i] @ vecs[j]) for j in chosen), default=0.0) for i in range(len(cands))}
            scores = [(float(rel[i]) - 0.6 * redundancy[i], i) for i in range(len(cands))
                      if i not in chosen and rel[i] >= best - 0.2 and redundancy[i] < 0.7]
            if not scores:
                break
            chosen.append(max(scores)[1])
        chosen.sort(key=lambda i: (cands[i][0], cands[i][1]))
        numbers: dict[str, int] = {}
        parts: list[str] = []
        snippets: dict[str, list[str]] = {}
        for i in chosen:
            hit = r.hits[cands[i][0]]
            sid = hit.chunk.section_id
            n = numbers.setdefault(sid, len(numbers) + 1)
            parts.append(f"{cands[i][2]} [{n}]")
            snippets.setdefault(sid, []).append(cands[i][2])
        citations = []
        for sid, n in numbers.items():
            hit = next(h for h in r.hits if h.chunk.section_id == sid)
            citations.append(Citation(n=n, section_id=sid, title=hit.chunk.section_title,
                                      snippet=" ".join(snippets[sid]), score=round(hit.similarity, 4),
                                      anchor=hit.chunk.anchor, chunk_id=hit.chunk.id))
        return GuideAnswer(" ".join(parts), grounded=True, citations=citations, nearest=self.nearest(r))
