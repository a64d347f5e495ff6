"""Grounded guide answers written by a model, from the retrieved chunks only, with `[n]` citations.

Retrieval and the decision to decline are the extractive answerer's: the same hybrid search and the same
calibrated threshold, checked before any model call, so a weak retrieval declines exactly as it does without a
model. The model sees the top chunks as numbered excerpts. In its reply, every `[n]` must name one of them:
others are removed and flagged, and a reply with no valid citation left is not used. Citations are renumbered
per section in order of first use, as the extractive answerer numbers them. Any fault falls back to the
extractive answer, marked degraded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.llm import LLMBadOutput, LLMClient, LLMError, fence, render, telemetry
from rag.answerer import Citation, ExtractiveAnswerer, GuideAnswer, decline_message, plain, sentences
from rag.retrieval import Hit, Mode

MAX_EXCERPTS = 5
DECLINE_TOKEN = "NOT_IN_GUIDE"
_CITE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class LLMGuideAnswer(GuideAnswer):
    """A GuideAnswer that also says whether the model wrote it (degraded: the extractive fallback did)."""

    degraded: bool = False
    degraded_reason: str | None = None
    flags: list[str] = field(default_factory=list)


def excerpts(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{i}] {' > '.join(h.chunk.heading_path) or h.chunk.section_title}\n{plain(h.chunk.text)}"
                       for i, h in enumerate(hits, 1))


def ground(text: str, hits: list[Hit]) -> tuple[str, list[Citation], int]:
    """Keep only citations that point at a given excerpt; renumber them per section. Returns (answer, citations,
    number of invalid citations removed). Raises LLMBadOutput when no valid citation is left."""
    numbers: dict[str, int] = {}
    first_hit: dict[str, Hit] = {}
    removed = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal removed
        out: list[int] = []
        for raw in re.split(r"\s*[,;]\s*", m.group(1)):
            k = int(raw)
            if not 1 <= k <= len(hits):
                removed += 1
                continue
            sid = hits[k - 1].chunk.section_id
            first_hit.setdefault(sid, hits[k - 1])
            n = numbers.setdefault(sid, len(numbers) + 1)
            if n not in out:
                out.append(n)
        return (" " + "".join(f"[{n}]" for n in out)) if out else ""

    answer = _CITE.sub(sub, text.strip())
    answer = re.sub(r"[ \t]+([.,;:!?])", r"\1", answer)
    answer = re.sub(r"[ \t]{2,}", " ", answer).strip()
    if not numbers:
        raise LLMBadOutput("the answer cites no retrieved excerpt", "uncited")
    citations = []
    for sid, n in numbers.items():
        h = first_hit[sid]
        sents = sentences(h.chunk)
        citations.append(Citation(n=n, section_id=sid, title=h.chunk.section_title,
                                  snippet=" ".join(sents[:2]) if sents else plain(h.chunk.text)[:300],
                                  score=round(h.similarity, 4), anchor=h.chunk.anchor, chunk_id=h.chunk.id))
    return answer, citations, removed


class LLMAnswerer:
    """Implements the Answerer protocol with a model; the extractive answerer retrieves, declines and stands in."""

    def __init__(self, client: LLMClient, fallback: ExtractiveAnswerer, max_excerpts: int = MAX_EXCERPTS) -> None:
        self.client = client
        self.fallback = fallback
        self.max_excerpts = max_excerpts

    def answer(self, question: str) -> LLMGuideAnswer:
        r = self.fallback.retriever.search(question, k=6, mode=Mode.hybrid)
        near = self.fallback.nearest(r)
        if not r.hits or r.confidence < self.fallback.min_similarity:
            return LLMGuideAnswer(decline_message(near), grounded=False, nearest=near)
        hits = r.hits[:self.max_excerpts]
        fenced, tag = fence(question, "QUESTION")
        messages = [{"role": "system", "content": render("answerer_system")},
                    {"role": "user", "content": render("answerer_user", excerpts=excerpts(hits), tag=tag,
                                                       question=fenced)}]
        try:
            text = self.client.complete(messages, stream=True).text
            if DECLINE_TOKEN in text and len(text.strip()) < len(DECLINE_TOKEN) + 40:
                return LLMGuideAnswer(decline_message(near), grounded=False, nearest=near)
            answer, citations, removed = ground(text, hits)
        except LLMError as err:
            event = telemetry.degraded("answerer", err.reason, str(err))
            base: GuideAnswer = self.fallback.answer(question)
            return LLMGuideAnswer(base.answer, base.grounded, base.citations, base.nearest, degraded=True,
                                  degraded_reason=f"{event.component}: {event.reason}")
        flags = [f"{removed} citation{'s' if removed > 1 else ''} pointing to no retrieved excerpt "
                 f"{'were' if removed > 1 else 'was'} removed."] if removed else []
        return LLMGuideAnswer(answer, grounded=True, citations=citations, nearest=near, flags=flags)
