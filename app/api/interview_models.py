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


class TimingOut(BaseModel):
    answer_seconds: int  # from the question being asked to the candidate's last answer
    suggested_minutes: int
    over_time: bool


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
    timing: TimingOut | None = None  # how long the answer took; set on interview grades, not stateless ones
    # POST /api/grade with an inline rubric: keys of a criterion that were accepted but not read (a misspelling?)
    rubric_warnings: list[str] | None = None


class DisputeDecisionOut(BaseModel):
    """What every dispute reports: the contested criterion, the reason, and how it was decided."""

    criterion_id: str
    reason: str
    decision: str
    old_level: int
    new_level: int
    explanation: str


class DisputeOut(DisputeDecisionOut):
    """A dispute stored with an interview."""

    id: str
    created_at: str


class DisputeResult(DisputeOut):
    scorecard: ScorecardOut


class GradeDisputeOut(DisputeDecisionOut):
    """A dispute of a stateless grade: the decision, the sentences re-read, and the card after it."""

    checked: list[str] = []
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
    excerpt: str = ""  # the first words of the first answer, so sessions on one question can be told apart


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


class MasteryPoint(BaseModel):
    at: str  # when the session that moved it was completed (ISO 8601)
    mastery: float


class CompetencyOut(BaseModel):
    competency: str
    mastery: float | None  # recency-weighted mean level 0-3; null when never practised
    sessions: int
    history: list[MasteryPoint]


class GradedOut(BaseModel):
    session_id: str
    question_id: str
    type: str
    completed_at: str
    score: float | None = None
    band: str | None = None


class LeftOut(BaseModel):
    session_id: str
    question_id: str
    reason: str  # abstained | flagged (the grader flagged gaming: keyword list, injected instructions...)
    completed_at: str


class ProgressOut(BaseModel):
    competencies: list[CompetencyOut]
    weakest: list[str]
    history: list[GradedOut]  # the sessions counted toward mastery, oldest first
    left_out: list[LeftOut] = []  # graded sessions that do not count, and why
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
