"""Study links: the guide section to read for a criterion, found by retrieval and cited.

A criterion is searched by everything its rubric says about it: name, description and level anchors (the anchors
name what good looks like, "golden set plus human rating", which the description often leaves out). Sections are
ranked by fusing two views: the hybrid chunk ranking (the section of each hit, in order) and the similarity of the
query to each section's centroid (the mean of its sentence vectors), so one well-worded chunk of an unrelated
section does not win on its own. On the bank's criteria passed inline (no guide sections), the section chosen was
one of the hand-picked ones for 0.42 of calibration criteria with name and description alone, and 0.58 this way
(`python -m evals study`).
"""

from __future__ import annotations

import threading

import numpy as np

from app.grading.rubric import GENERIC_LEVELS, RubricCriterion
from app.grading.types import StudyLink
from rag.answerer import sentences
from rag.chunking import Chunk
from rag.retrieval import RRF_K, HybridRetriever, Mode

HITS = 20  # chunks whose sections enter the fusion; the centroid view ranks every section
_GENERIC = frozenset(GENERIC_LEVELS.values())  # a criterion given no anchors: they say nothing of its topic


def study_query(c: RubricCriterion) -> str:
    """What a criterion is about, in its rubric's words: name, description, then its anchors from the top down."""
    anchors = [c.levels[k] for k in sorted(c.levels, reverse=True) if c.levels[k] not in _GENERIC]
    name = [f"{c.name}."] if c.name.strip().lower() != c.description.strip().lower() else []
    return " ".join([*name, c.description, *anchors, *c.concepts[:4]])


class StudyFinder:
    """Finds the best guide section for a criterion, preferring the sections its rubric names.

    Results are cached per criterion: the link depends on the rubric, not on the answer, so grading stays fast.
    """

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self._cache: dict[tuple[str, str], list[StudyLink]] = {}
        self._centroids: tuple[list[str], np.ndarray] | None = None
        self._lock = threading.Lock()

    def for_criterion(self, c: RubricCriterion) -> list[StudyLink]:
        query = study_query(c)
        key = (query, ",".join(c.guide_sections))
        if key not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = self._find(query, c.guide_sections)
        return self._cache[key]

    def _ranked(self, query: str) -> tuple[list[str], list[Chunk], np.ndarray]:
        """Section ids best first, the hybrid hits' chunks and the query vector: reciprocal-rank fusion of the
        hits' sections and of the similarity to each section's centroid."""
        r = self.retriever.search(query, k=HITS, mode=Mode.hybrid)
        qvec = r.qvec if r.qvec is not None else self.retriever.embed_query(query)
        ids, centroids = self._section_centroids()
        by_hits = list(dict.fromkeys(h.chunk.section_id for h in r.hits))
        by_centroid = [ids[i] for i in np.argsort(-(centroids @ qvec), kind="stable")] if len(ids) else []
        fused: dict[str, float] = {}
        for order in (by_hits, by_centroid):
            for rank, sid in enumerate(order):
                fused[sid] = fused.get(sid, 0.0) + 1.0 / (RRF_K + rank + 1)
        return sorted(fused, key=lambda s: (-fused[s], s)), [h.chunk for h in r.hits], qvec

    def _find(self, query: str, preferred: list[str]) -> list[StudyLink]:
        ranked, hits, qvec = self._ranked(query)
        if not ranked:
            return []
        section = next((s for s in ranked if s in preferred), ranked[0])
        chunk = self._best_chunk(section, hits, qvec)
        if chunk is None:
            return []
        sents = sentences(chunk)
        return [StudyLink(section_id=chunk.section_id, title=chunk.section_title, anchor=chunk.anchor,
                          snippet=sents[0] if sents else "")]

    def _best_chunk(self, section: str, hits: list[Chunk], qvec: np.ndarray) -> Chunk | None:
        """The section's best-ranked hit; else its chunk with the sentence nearest the query."""
        found = next((c for c in hits if c.section_id == section), None)
        if found is not None:
            return found
        chunks = self.retriever.chunks
        return next((chunks[i] for i, _ in self.retriever.sentences.best_per_chunk(qvec)
                     if chunks[i].section_id == section), next((c for c in chunks if c.section_id == section), None))

    def _section_centroids(self) -> tuple[list[str], np.ndarray]:
        """Each section's mean sentence vector, normalised; computed once (the guide is fixed while serving)."""
        if self._centroids is None:
            with self._lock:
                if self._centroids is None:
                    m = self.retriever.sentences
                    vecs = m.vectors
                    secs = [self.retriever.chunks[i].section_id for i in m.owner]
                    ids = sorted(set(secs))
                    rows = []
                    for sid in ids:
                        v = vecs[[j for j, s in enumerate(secs) if s == sid]].mean(axis=0)
                        rows.append(v / (np.linalg.norm(v) or 1.0))
                    self._centroids = (ids, np.stack(rows) if rows else np.zeros((0, 1)))
        return self._centroids
