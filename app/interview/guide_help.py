"""The guide inside the interview: brief cited answers to concept questions, and passages that ground probes.

The runtime builds one `GuideHelper` from the glossary and retriever it already has (app/compose.py) and
injects it into the flow and the LLM interviewer; nothing here imports the runtime.

A concept question ("what do you mean by a golden set?") is recognised by the guide's glossary (the same one
the guide's answerer uses): the question must be (almost) only a defined term in a definition frame. The reply
is the guide's defining sentence with its section cited: it explains the term in general and never says how to
answer the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from app.grading.rubric import RubricCriterion
from rag.glossary import Glossary
from rag.retrieval import HybridRetriever

MAX_SENTENCES = 2
PASSAGE_CHARS = 600
_MARKER = re.compile(r"\s*\[\d+\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*\[\d+\])?\s+")


@dataclass(frozen=True)
class GuideNote:
    """A brief answer from the guide and the section it cites."""

    text: str
    section_id: str
    title: str
    anchor: str


class GuideHelp(Protocol):
    def explain(self, text: str) -> GuideNote | None: ...

    def passages(self, criterion: RubricCriterion, k: int = 2) -> list[str]: ...


def brief(answer: str, n: int = MAX_SENTENCES) -> str:
    """The first `n` sentences of a (possibly cited) text, without [n] markers."""
    parts = [p for p in _SENTENCE_END.split(answer.strip()) if p]
    return _MARKER.sub("", " ".join(parts[:n])).strip()


class GuideHelper:
    def __init__(self, glossary: Glossary, retriever: HybridRetriever) -> None:
        self.glossary = glossary
        self.retriever = retriever

    def explain(self, text: str) -> GuideNote | None:
        """The guide's defining sentence when `text` asks what a guide term means; None for anything else.

        The glossary already holds the sentence, its section and anchor (found in the guide text when the guide
        is indexed), so the answer costs no retrieval and never waits on the embedder: an interview turn stays
        fast even while the guide's sentence vectors are still warming up.
        """
        term = self.glossary.defined_subject(text)
        if term is None or not term.sentence:
            return None
        return GuideNote(brief(term.sentence), term.section_id, term.section_title, term.anchor)

    def passages(self, criterion: RubricCriterion, k: int = 2) -> list[str]:
        """Guide passages for a criterion, from the sections the rubric points to, best match first."""
        query = " ".join(x for x in (criterion.name, criterion.probe) if x)
        hits = self.retriever.search(query, k=8).hits
        allowed = set(criterion.guide_sections)
        chosen = [h.chunk for h in hits if not allowed or h.chunk.section_id in allowed] or [h.chunk for h in hits]
        return [f"{c.section_title}: {c.text[:PASSAGE_CHARS]}" for c in chosen[:k]]
