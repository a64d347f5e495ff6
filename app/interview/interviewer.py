"""The Interviewer protocol and the embedded, deterministic interviewer.

The interviewer only speaks: it opens, answers clarifying questions from the question's context facts, asks
probes and wraps up. Which probe to ask is decided by the flow from the grader's interim view, so an LLM
interviewer can plug into the same seam and phrase things more naturally.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from app.content import Question
from app.grading.rubric import RubricCriterion
from rag.embedder import Embedder
from rag.lexical import tokenize

PROMPTS = Path(__file__).parent / "prompts" / "embedded.yaml"
# A clarifying question is matched to a context fact at this cosine similarity (MiniLM); below it, the
# candidate is told to state an assumption rather than being given an unrelated fact.
FACT_MIN_SIMILARITY = 0.30


@lru_cache
def templates() -> dict[str, str]:
    return yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class Interviewer(Protocol):
    def opening(self, question: Question) -> str: ...

    def clarify(self, question: Question, text: str) -> str: ...

    def probe(self, question: Question, criterion: RubricCriterion) -> str: ...

    def note(self, name: str) -> str: ...


class EmbeddedInterviewer:
    """Template-driven; clarifications come from the question's `context` by embedding and word overlap."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._facts: dict[str, np.ndarray] = {}

    def opening(self, question: Question) -> str:
        return templates()["opening"].format(prompt=question.prompt, minutes=question.suggested_minutes)

    def _fact_vectors(self, question: Question) -> np.ndarray:
        if question.id not in self._facts:
            texts = [f"{f.topic}: {f.fact}" for f in question.context]
            self._facts[question.id] = self.embedder.embed(texts) if texts else np.zeros((0, self.embedder.dim))
        return self._facts[question.id]

    def clarify(self, question: Question, text: str) -> str:
        vecs = self._fact_vectors(question)
        if len(vecs):
            sims = vecs @ self.embedder.embed([text])[0]
            words = set(tokenize(text))
            overlap = [len(words & set(tokenize(f"{f.topic} {f.fact}"))) for f in question.context]
            score = sims + 0.05 * np.minimum(overlap, 3)
            best = int(np.argmax(score))
            if score[best] >= FACT_MIN_SIMILARITY:
                return templates()["clarification_known"].format(fact=question.context[best].fact)
        return templates()["clarification_unknown"]

    def probe(self, question: Question, criterion: RubricCriterion) -> str:
        return templates()["probe_lead"].format(probe=criterion.probe or criterion.description)

    def note(self, name: str) -> str:
        return templates()[name]
