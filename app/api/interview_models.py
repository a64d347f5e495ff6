"""Response models of the interview and progress routes: they document the API and are checked on the way out.

The scorecard's inner shape belongs to the grader (app/grading), so it is described here by its stable keys
and allows more; everything the interview layer builds itself is described exactly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class QuestionOut(BaseModel):
    id: str
    title: str
    prompt: str
    type: str
    level: str
    suggested_minutes: int


class MessageOut(BaseModel):
    id: int  # the turn's number within its interview (1, 2, ...)
    role: str
    kind: str
    text: str
    criterion_id: str | None = None
    created_at: str


class OverallOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    score: float
    band: str


class ScorecardOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    abstained: bool
    reason: str | None = None
    message: str | None = None
    overall: OverallOut | None = None
    criteria: list[dict[str, Any]] = []
    flags: list[str] = []


class DisputeOut(BaseModel):
    id: str
    criterion_id: str
    reason: str
    decision: str
    old_level: int
    new_level: int
    explanation: str
    created_at: str


class DisputeResult(DisputeOut):
    scorecard: ScorecardOut


class InterviewOut(BaseModel):
    id: str
    state: str
    question: QuestionOut
    messages: list[MessageOut]
    scorecard: ScorecardOut | None = None
    disputes: list[DisputeOut] = []
    usage: dict[str, Any] = {}
    created_at: str
    completed_at: str | None = None
    degraded: bool | None = None
    degraded_reason: str | None = None


class InterviewSummary(BaseModel):
    id: str
    state: str
    question_id: str
    title: str
    type: str
    level: str
    created_at: str
    completed_at: str | None = None
    score: float | None = None
    band: str | None = None
    abstained: bool | None = None


class Received(BaseModel):
    id: int
    kind: str


class MessageResult(BaseModel):
    state: str
    received: Received
    messages: list[MessageOut]
    degraded: bool | None = None
    degraded_reason: str | None = None
    replayed: bool | None = None  # true when an Idempotency-Key retry returned the stored result


class ExemplarOut(BaseModel):
    question_id: str
    text: str
    source: str
    levels: dict[str, int]
    band: str | None = None


class ProgressOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    competencies: list[dict[str, Any]]
    weakest: list[str]
    history: list[dict[str, Any]]
    sessions: int
    next_question: QuestionOut


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can return, all in the one error shape."""
    what = {400: "Bad request", 403: "Cross-site request refused", 404: "Not found", 408: "Body too slow",
            409: "Conflict with the interview's state", 413: "Body too large", 422: "Invalid input",
            429: "Rate limit or quota reached (Retry-After)", 500: "Unexpected error",
            503: "Not ready, grading failed or over its time budget"}
    return {s: {"model": ErrorOut, "description": what.get(s, "Error")} for s in statuses}
