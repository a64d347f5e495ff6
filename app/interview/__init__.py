"""Mock interviews: message classification, the state machine, the interviewer, progress and the service."""

from app.interview.classify import MessageKind, classify
from app.interview.errors import (
    CriterionNotFound,
    GradingFailed,
    InterviewError,
    NotGradedYet,
    NothingToGrade,
    QuestionNotFound,
    SessionFinished,
    SessionNotFound,
)
from app.interview.flow import InterviewFlow, Said, State, Step, answer_text, candidate_kind, pick_probe
from app.interview.interviewer import EmbeddedInterviewer, Interviewer
from app.interview.progress import CompetencyProgress, GradedSession, mastery, next_best, weakest
from app.interview.service import InterviewService

__all__ = [
    "CompetencyProgress", "CriterionNotFound", "EmbeddedInterviewer", "GradedSession", "GradingFailed",
    "InterviewError",
    "InterviewFlow", "InterviewService", "Interviewer", "MessageKind", "NotGradedYet", "NothingToGrade",
    "QuestionNotFound", "Said", "SessionFinished", "SessionNotFound", "State", "Step", "answer_text",
    "candidate_kind", "classify", "mastery", "next_best", "pick_probe", "weakest",
]
