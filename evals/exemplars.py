"""The question bank's labelled exemplars as grading items, split into calib and test by question.

The split is by question (a hash of its id), never by exemplar, so the test split measures the grader on
rubrics whose exemplars it was never calibrated on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from app.content import BAND_CUTS, Question, load_bank
from app.grading.rubric import GradingRubric, from_question

BANDS = ["below_bar", "approaching", "meets_bar", "strong"]
assert [b.value for _, b in reversed(BAND_CUTS)] == BANDS[1:]


def split_of(question_id: str) -> str:
    """About 70% of questions calibrate, 30% are held out; stable across runs and machines."""
    return "calib" if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 10 < 7 else "test"


@dataclass(frozen=True)
class LabelledAnswer:
    id: str
    question: Question
    rubric: GradingRubric
    text: str
    levels: dict[str, int]
    band: str
    quality: str
    style: str
    split: str


def load_exemplars(questions_dir: Path) -> list[LabelledAnswer]:
    out = []
    for q in load_bank([questions_dir]):
        rubric = from_question(q)
        for e in q.exemplars:
            out.append(LabelledAnswer(f"{q.id}/{e.id}", q, rubric, e.text, dict(e.levels), e.band.value,
                                      e.quality.value, e.style, split_of(q.id)))
    return out
