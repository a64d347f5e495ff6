"""Data access for mock interviews: plain functions, keyword-only arguments, one `sqlmodel.Session` each.

Every writer commits before it returns. The interview flow relies on that: a submitted answer must be on disk
before grading (which may take seconds, or fail) starts, and a later rollback must not take it with it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db.models import (
    DISPUTE_DECISIONS,
    GRADE_KINDS,
    SESSION_STATES,
    TURN_KINDS,
    TURN_ROLES,
    Candidate,
    CriterionGrade,
    Dispute,
    Grade,
    InterviewSession,
    Turn,
    utcnow,
)

log = logging.getLogger(__name__)


def _check(field: str, value: str, allowed: Iterable[str]) -> None:
    """The columns are free strings (no migration per new value), so the vocabulary is enforced here instead."""
    if value not in allowed:
        raise ValueError(f"unknown {field} {value!r}; expected one of {', '.join(allowed)}")


def hash_token(token: str) -> str:
    """sha256 is enough for a 256-bit random token: there is nothing to brute-force, so no slow KDF is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_or_create_candidate(*, session: Session, token: str | None) -> tuple[Candidate, str | None]:
    """The candidate behind `token`, or a new one with a freshly issued token (returned only that once).

    An unknown token gets a new identity rather than an error: tokens live in browsers and a wiped database
    should not lock anyone out.
    """
    if token:
        found = session.exec(select(Candidate).where(Candidate.token_hash == hash_token(token))).first()
        if found is not None:
            return found, None
    issued = secrets.token_urlsafe(32)
    candidate = Candidate(token_hash=hash_token(issued))
    session.add(candidate)
    session.commit()
    session.refresh(candidate)
    log.info("issued a token to new candidate %s", candidate.id)
    return candidate, issued


def create_session(*, session: Session, candidate_id: str, question_id: str, question_type: str,
                   question_level: str, state: str) -> InterviewSession:
    """Starts an interview for a candidate on one question."""
    _check("state", state, SESSION_STATES)
    interview = InterviewSession(candidate_id=candidate_id, question_id=question_id, question_type=question_type,
                                 question_level=question_level, state=state)
    session.add(interview)
    session.commit()
    session.refresh(interview)
    return interview


def get_session_for(*, session: Session, session_id: str, candidate_id: str) -> InterviewSession | None:
    """None both when it does not exist and when it is someone else's, so ids cannot be probed for existence."""
    interview = session.get(InterviewSession, session_id)
    if interview is None or interview.candidate_id != candidate_id:
        return None
    return interview


def list_sessions(*, session: Session, candidate_id: str) -> list[InterviewSession]:
    """A candidate's interviews, newest first."""
    query = (select(InterviewSession).where(InterviewSession.candidate_id == candidate_id)
             .order_by(col(InterviewSession.created_at).desc()))
    return list(session.exec(query).all())


def add_turn(*, session: Session, session_id: str, role: str, kind: str, text: str,
             criterion_id: str | None = None) -> Turn:
    """Appends to the transcript and commits at once (see the module docstring); also bumps `updated_at`."""
    _check("role", role, TURN_ROLES)
    _check("kind", kind, TURN_KINDS)
    turn = Turn(session_id=session_id, role=role, kind=kind, text=text, criterion_id=criterion_id)
    session.add(turn)
    session.exec(update(InterviewSession).where(col(InterviewSession.id) == session_id)
                 .values(updated_at=turn.created_at))
    session.commit()
    session.refresh(turn)
    return turn


def list_turns(*, session: Session, session_id: str, after_id: int | None = None) -> list[Turn]:
    """The transcript in order; `after_id` returns only turns newer than one the client already has."""
    query = select(Turn).where(Turn.session_id == session_id)
    if after_id is not None:
        query = query.where(col(Turn.id) > after_id)
    return list(session.exec(query.order_by(col(Turn.id))).all())


def set_state(*, session: Session, interview: InterviewSession, state: str, probes_asked: int | None = None,
              completed: bool = False) -> InterviewSession:
    """Moves the state machine; `completed` stamps completed_at the first time only, so re-grading keeps it."""
    _check("state", state, SESSION_STATES)
    now = utcnow()
    interview.state = state
    if probes_asked is not None:
        interview.probes_asked = probes_asked
    if completed and interview.completed_at is None:
        interview.completed_at = now
    interview.updated_at = now
    session.add(interview)
    session.commit()
    session.refresh(interview)
    return interview


def save_grade(*, session: Session, session_id: str, kind: str, scorecard: dict[str, Any]) -> Grade:
    """Stores the scorecard as returned by the API, plus one CriterionGrade row per criterion, in one commit.

    The whole dict is kept so a past scorecard can be shown exactly as it was, even after the rubric changes.
    """
    _check("kind", kind, GRADE_KINDS)
    overall = scorecard.get("overall") or {}
    grade = Grade(
        session_id=session_id,
        kind=kind,
        abstained=bool(scorecard.get("abstained", False)),
        reason=scorecard.get("reason"),
        score=overall.get("score"),
        band=overall.get("band"),
        scorecard=scorecard,
        fingerprint=dict(scorecard.get("grader") or {}),
    )
    session.add(grade)
    session.flush()  # no ORM relationship orders the inserts, and the criterion rows' foreign key needs the grade
    for criterion in scorecard.get("criteria") or []:
        session.add(CriterionGrade(
            grade_id=grade.id,
            criterion_id=criterion["id"],
            competency=criterion["competency"],
            level=int(criterion["level"]),
            weight=float(criterion["weight"]),
            evidence=list(criterion.get("evidence") or []),
            missing=list(criterion.get("missing") or []),
        ))
    session.commit()
    session.refresh(grade)
    return grade


def latest_grade(*, session: Session, session_id: str, kind: str = "final") -> Grade | None:
    """The newest grade of a kind; re-grading adds a newer grade instead of overwriting, so history is kept."""
    _check("kind", kind, GRADE_KINDS)
    query = (select(Grade).where(Grade.session_id == session_id, Grade.kind == kind)
             .order_by(col(Grade.created_at).desc()).limit(1))
    return session.exec(query).first()


def criterion_grades(*, session: Session, grade_id: str) -> list[CriterionGrade]:
    """The per-criterion rows of one grade."""
    query = (select(CriterionGrade).where(CriterionGrade.grade_id == grade_id)
             .order_by(col(CriterionGrade.criterion_id)))
    return list(session.exec(query).all())


def add_dispute(*, session: Session, session_id: str, grade_id: str, criterion_id: str, reason: str,
                decision: str, old_level: int, new_level: int, explanation: str) -> Dispute:
    """Records a dispute together with its decision and the level before and after it."""
    _check("decision", decision, DISPUTE_DECISIONS)
    dispute = Dispute(session_id=session_id, grade_id=grade_id, criterion_id=criterion_id, reason=reason,
                      decision=decision, old_level=old_level, new_level=new_level, explanation=explanation)
    session.add(dispute)
    session.commit()
    session.refresh(dispute)
    return dispute


def list_disputes(*, session: Session, session_id: str | None = None) -> list[Dispute]:
    """Disputes oldest first, of one interview or (for the calibration review) of all of them."""
    query = select(Dispute)
    if session_id is not None:
        query = query.where(Dispute.session_id == session_id)
    return list(session.exec(query.order_by(col(Dispute.created_at))).all())


def final_grades_for(*, session: Session, candidate_id: str) -> list[tuple[InterviewSession, Grade]]:
    """One (interview, latest final grade) pair per graded interview, oldest interview first: the progress series.

    Only the latest final grade counts, so an interview re-graded after a dispute is not counted twice.
    """
    query = (select(InterviewSession, Grade)
             .join(Grade, col(Grade.session_id) == col(InterviewSession.id))
             .where(InterviewSession.candidate_id == candidate_id, Grade.kind == "final")
             .order_by(col(Grade.created_at)))
    latest: dict[str, tuple[InterviewSession, Grade]] = {}
    for interview, grade in session.exec(query).all():
        latest[interview.id] = (interview, grade)  # ascending, so the last one seen wins
    return sorted(latest.values(), key=lambda pair: pair[0].created_at)
