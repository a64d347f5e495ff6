"""A baseline grader for external benchmarks: the plain MiniLM cosine between an answer and the reference answer.

The issue's bar for the embedded grader on short-answer benchmarks is "better than the feature it is built
from". This grader is that feature on its own, run through the same harness (`--grader cosine`), so the two can
be compared in one command with the same thresholds (SemEval's is fitted on its `train` split) and metrics.
Every criterion gets the same level and position, so the score is 100 x cosine (clipped at 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.grading import scorecard
from app.grading.rubric import GradingRubric
from app.grading.types import CriterionResult, Scorecard
from rag.embedder import Embedder


class CosineBaseline:
    """Answer-to-reference cosine as a scorecard; abstains when the rubric has no reference answer."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"kind": "cosine-baseline", "version": "1", "embedder": type(self.embedder).__name__}

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard:
        if not rubric.reference_answer or not answer.strip():
            return scorecard.abstained("empty" if not answer.strip() else "no_reference", [], self.fingerprint)
        a, r = self.embedder.embed([answer, rubric.reference_answer])
        cos = float(np.dot(a, r) / ((np.linalg.norm(a) * np.linalg.norm(r)) or 1.0))
        pos = 3.0 * min(max(cos, 0.0), 1.0)
        level = min(int(pos + 0.5), 3)
        results = [CriterionResult(id=c.id, name=c.name, weight=c.weight, level=level) for c in rubric.criteria]
        return scorecard.build(rubric, results, [], self.fingerprint, positions={c.id: pos for c in rubric.criteria})
