"""The scorecard: what every grader returns and what the API, the database and the evals consume."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class StudyLink(BaseModel):
    section_id: str
    title: str
    anchor: str = ""
    snippet: str = ""


class CriterionResult(BaseModel):
    id: str
    name: str
    competency: str | None = None
    weight: float = 1.0
    level: int = Field(ge=0, le=3)
    evidence: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    study: list[StudyLink] = Field(default_factory=list)
    uncertain: bool = False
    # On a rubric written on another scale (e.g. 1-5): its first and last level, and `level` on that scale.
    scale: tuple[int, int] | None = None
    scale_level: int | None = None


class Overall(BaseModel):
    score: float
    band: str
    # The most the score may be whatever the levels say (an answer that is mostly padding is held below the bar);
    # kept on the card so a re-grade keeps the hold. None: no hold.
    ceiling: float | None = None


class Summary(BaseModel):
    strengths: list[str] = Field(default_factory=list)
    improvement: str = ""


class Scorecard(BaseModel):
    """A graded answer, or an abstention with a reason and a message for the candidate (never a silent zero)."""

    abstained: bool = False
    reason: str | None = None
    message: str | None = None
    overall: Overall | None = None
    criteria: list[CriterionResult] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    grader: dict[str, Any] = Field(default_factory=dict)
    # True when an LLM grader failed and the embedded grader produced this card instead; the reason says why.
    degraded: bool = False
    degraded_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
