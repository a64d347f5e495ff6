"""Study links: the guide section to read for a criterion, found by retrieval and cited."""

from __future__ import annotations

from app.grading.rubric import RubricCriterion
from app.grading.types import StudyLink
from rag.answerer import sentences
from rag.retrieval import HybridRetriever, Mode


class StudyFinder:
    """Retrieves the best guide chunk for a criterion, preferring the sections its rubric names.

    Results are cached per criterion: the link depends on the rubric, not on the answer, so grading stays fast.
    """

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self._cache: dict[tuple[str, str, str], list[StudyLink]] = {}

    def for_criterion(self, c: RubricCriterion) -> list[StudyLink]:
        key = (c.id, c.description, ",".join(c.guide_sections))
        if key not in self._cache:
            query = f"{c.name}. {c.description} {' '.join(c.concepts[:4])}"
            r = self.retriever.search(query, k=10, mode=Mode.hybrid)
            preferred = [h for h in r.hits if h.chunk.section_id in c.guide_sections]
            cands = preferred or r.hits
            hit = cands[0] if cands else None
            if hit is None:
                self._cache[key] = []
            else:
                sents = sentences(hit.chunk)
                self._cache[key] = [StudyLink(section_id=hit.chunk.section_id, title=hit.chunk.section_title,
                                              anchor=hit.chunk.anchor, snippet=sents[0] if sents else "")]
            if len(self._cache) > 4096:
                self._cache.clear()
        return self._cache.get(key, [])
