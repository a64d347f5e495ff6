"""Request and response models of the public API (a contract: scripts outside the project depend on them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

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
