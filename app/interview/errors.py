"""Errors of the interview layer; app/errors.py maps them to HTTP statuses."""

from __future__ import annotations

from app.content.errors import QuestionNotFound


class InterviewError(Exception):
    """Base class for interview problems caused by the request."""


class SessionFinished(InterviewError):
    """The session is graded; it accepts no more answers."""


class NothingToGrade(InterviewError):
    """Grading was asked for before the candidate answered."""


class SessionNotFound(InterviewError):
    """No such interview for this candidate (someone else's id looks exactly like a missing one)."""


class CriterionNotFound(InterviewError):
    """A dispute names a criterion the question does not have."""


class NotGradedYet(InterviewError):
    """Disputes need a scorecard to dispute."""


class GradingFailed(InterviewError):
    """The grader failed (a server fault); the candidate's answers are saved and grading can be retried."""


class StateConflict(InterviewError):
    """Another request moved the interview first (a concurrent grade, or a message racing one); re-read and retry."""


class QuotaExceeded(InterviewError):
    """A per-candidate or per-session quota is spent; `retry_after` is set when waiting helps (seconds)."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


__all__ = ["CriterionNotFound", "GradingFailed", "InterviewError", "NotGradedYet", "NothingToGrade", "QuestionNotFound",
           "QuotaExceeded", "SessionFinished", "SessionNotFound", "StateConflict"]
