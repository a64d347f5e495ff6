"""The grader's view of a rubric, built from a bank question or from an inline rubric / reference answer.

Graders never see pack YAML directly: both the interview path and the stateless POST /api/grade path become a
GradingRubric, so a rubric the grader has never seen is graded exactly like a built-in one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from app.content import Question
from app.grading.errors import InvalidRubric

GENERIC_LEVELS = {
    0: "Not addressed.",
    1: "Mentioned by name only, without explanation.",
    2: "Developed with reasoning that fits the question.",
    3: "Excellent: developed with specifics such as numbers, examples or concrete mechanisms.",
}


class RubricCriterion(BaseModel):
    id: str
    name: str
    description: str
    weight: float = 1.0
    competency: str | None = None
    levels: dict[int, str] = Field(default_factory=lambda: dict(GENERIC_LEVELS))
    cues: list[list[str]] = Field(default_factory=list)  # each cue: [concept, phrasing, ...]
    probe: str | None = None
    guide_sections: list[str] = Field(default_factory=list)

    @property
    def concepts(self) -> list[str]:
        return [c[0] for c in self.cues]


class GradingRubric(BaseModel):
    question: str
    criteria: list[RubricCriterion]
    question_id: str | None = None
    reference_answer: str | None = None

    @property
    def weights(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.criteria}

    def content_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def from_question(q: Question) -> GradingRubric:
    crits = [RubricCriterion(
        id=c.id, name=c.name, description=c.description, weight=c.weight, competency=c.competency.value,
        levels=dict(c.levels), cues=[[cue.concept, *cue.phrasings] for cue in c.cues], probe=c.probe,
        guide_sections=list(c.guide_sections)) for c in q.rubric]
    return GradingRubric(question=q.prompt, criteria=crits, question_id=q.id, reference_answer=q.reference_answer)


class InlineCriterion(BaseModel):
    """One item of an inline rubric: {id, description, weight?, levels?}."""

    id: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=2000)
    weight: float = Field(default=1.0, gt=0, le=100)
    levels: dict[int, str] | list[str] | None = None
    name: str | None = None

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: dict[int, str] | list[str] | None) -> dict[int, str] | list[str] | None:
        if v is None:
            return v
        keys = list(range(len(v))) if isinstance(v, list) else sorted(v)
        if keys != [0, 1, 2, 3]:
            raise ValueError("levels must describe exactly levels 0, 1, 2 and 3")
        return v


_SENT = re.compile(r"(?<=[.!?;])\s+|\n+")


def _phrases(description: str) -> list[str]:
    """Split a criterion description into cue phrases: each clause is a concept a good answer shows."""
    parts = [p.strip(" .;:-") for p in re.split(r"[;,]|\band\b|\n", description)]
    return [p for p in parts if len(p.split()) >= 2] or [description.strip()]


def from_inline(question: str, rubric: list[dict[str, Any]] | None = None,
                reference_answer: str | None = None) -> GradingRubric:
    """Build a rubric from inline criteria and/or a reference answer; raises InvalidRubric with a clear message."""
    if not question or not question.strip():
        raise InvalidRubric("question must not be empty")
    if not rubric and not (reference_answer and reference_answer.strip()):
        raise InvalidRubric("give a rubric, a reference_answer, or both")
    crits: list[RubricCriterion] = []
    ref_sents = [s.strip() for s in _SENT.split(reference_answer or "") if len(s.split()) >= 3]
    for i, raw in enumerate(rubric or []):
        try:
            item = InlineCriterion.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "item"
            raise InvalidRubric(f"rubric[{i}].{where}: {err['msg'].removeprefix('Value error, ')}") from None
        levels = (dict(enumerate(item.levels)) if isinstance(item.levels, list) else item.levels) or GENERIC_LEVELS
        cues = [[p, p] for p in _phrases(item.description)]
        crits.append(RubricCriterion(id=item.id, name=item.name or item.description[:60], description=item.description,
                                     weight=item.weight, levels=levels, cues=cues))
    if len({c.id for c in crits}) != len(crits):
        raise InvalidRubric("rubric criterion ids must be unique")
    if not crits:
        crits.append(RubricCriterion(
            id="reference", name="Matches the reference answer",
            description="Covers the points of the reference answer correctly.",
            cues=[[s, s] for s in ref_sents] or [[reference_answer or "", reference_answer or ""]]))
    return GradingRubric(question=question.strip(), criteria=crits, reference_answer=reference_answer)
