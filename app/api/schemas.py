"""Request and response models of the public API (a contract: scripts outside the project depend on them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from app.content import Level, QuestionType

MAX_QUESTION_CHARS = 2000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str

    @field_validator("question")
    @classmethod
    def _sane(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("question must not be empty")
        if len(v) > MAX_QUESTION_CHARS:
            raise ValueError(f"question is {len(v)} characters; the limit is {MAX_QUESTION_CHARS}")
        return v


class CitationOut(BaseModel):
    n: int
    section_id: str
    title: str
    snippet: str
    score: float
    anchor: str = ""
    chunk_id: str = ""


class NearOut(BaseModel):
    section_id: str
    title: str
    score: float


class AskResponse(BaseModel):
    answer: str
    grounded: bool
    citations: list[CitationOut]
    nearest: list[NearOut] = []
    # Present only when an LLM answerer is configured (the embedded answer's shape is unchanged): degraded is
    # true when the model failed and the extractive answer stands in; flags note removed invalid citations.
    degraded: bool | None = None
    degraded_reason: str | None = None
    flags: list[str] | None = None


class SectionSummary(BaseModel):
    id: str
    title: str
    competencies: list[str]
    words: int


class SectionOut(SectionSummary):
    text: str


class QuestionSummary(BaseModel):
    id: str
    title: str
    prompt: str
    type: str
    level: str
    competencies: list[str]
    suggested_minutes: int
    guide_sections: list[str]


MAX_ANSWER_CHARS = 20_000


def _text(v: str, what: str) -> str:
    if not v.strip():
        raise ValueError(f"{what} must not be empty")
    if len(v) > MAX_ANSWER_CHARS:
        raise ValueError(f"{what} is {len(v)} characters; the limit is {MAX_ANSWER_CHARS}")
    return v


class StartInterview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str | None = None
    type: QuestionType | None = None
    level: Level | None = None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str

    @field_validator("text")
    @classmethod
    def _ok(cls, v: str) -> str:
        return _text(v, "text")


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion_id: str
    reason: str

    @field_validator("reason")
    @classmethod
    def _ok(cls, v: str) -> str:
        v = _text(v, "reason")
        if len(v) > 2000:
            raise ValueError(f"reason is {len(v)} characters; the limit is 2000")
        return v


class GradeIn(BaseModel):
    """Stateless grading: an answer plus a bank question id, or an inline question with a rubric/reference."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    question_id: str | None = None
    question: str | None = None
    rubric: list[dict[str, Any]] | None = None
    reference_answer: str | None = None

    @field_validator("answer")
    @classmethod
    def _ok(cls, v: str) -> str:
        return _text(v, "answer")
