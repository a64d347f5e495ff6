"""Data access for mock interviews: plain functions, keyword-only arguments, one `sqlmodel.Session` each.

Every writer commits before it returns. The interview flow relies on that: a submitted answer must be on disk
before grading (which may take seconds, or fail) starts, and a later rollback must not take it with it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, update
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
    GuideExchange,
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


def find_candidate(*, session: Session, token: str | None) -> Candidate | None:
    """The candidate behind `token`, or None; reading never creates a row (only state-changing calls do)."""
    if not token:
        return None
    return session.exec(select(Candidate).where(Candidate.token_hash == hash_token(token))).first()


def get_or_create_candidate(*, session: Session, token: str | None) -> tuple[Candidate, str | None]:
    """The candidate behind `token`, or a new one with a freshly issued token (returned only that once).

    An unknown token gets a new identity rather than an error: tokens live in browsers and a wiped database
    should not lock anyone out.
    """
    found = find_candidate(session=session, token=token)
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


def list_sessions(*, session: Session, candidate_id: str, limit: int | None = None,
                  offset: int = 0) -> list[InterviewSession]:
    """A candidate's interviews, newest first; `limit` and `offset` page through them."""
    query = (select(InterviewSession).where(InterviewSession.candidate_id == candidate_id)
             .order_by(col(InterviewSession.created_at).desc(), col(InterviewSession.id)))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.exec(query).all())


def count_sessions(*, session: Session, candidate_id: str) -> int:
    return int(session.exec(select(func.count()).select_from(InterviewSession)
                            .where(InterviewSession.candidate_id == candidate_id)).one())


def sessions_since(*, session: Session, candidate_id: str, since: datetime) -> list[datetime]:
    """Creation times of a candidate's interviews since `since`, oldest first: the daily quota's window."""
    query = (select(InterviewSession.created_at)
             .where(InterviewSession.candidate_id == candidate_id, col(InterviewSession.created_at) >= since)
             .order_by(col(InterviewSession.created_at)))
    return list(session.exec(query).all())


def append_turn(*, session: Session, session_id: str, role: str, kind: str, text: str,
                criterion_id: str | None = None, idempotency_key: str | None = None) -> Turn:
    """Adds a turn numbered after the session's last one, without committing.

    Callers hold the session row (a compare-and-set UPDATE earlier in the same transaction), so the numbering
    cannot race; the (session_id, seq) unique constraint would refuse a duplicate if it did.
    """
    _check("role", role, TURN_ROLES)
    _check("kind", kind, TURN_KINDS)
    last = session.exec(select(func.max(Turn.seq)).where(Turn.session_id == session_id)).one()
    turn = Turn(session_id=session_id, seq=(last or 0) + 1, role=role, kind=kind, text=text,
                criterion_id=criterion_id, idempotency_key=idempotency_key)
    session.add(turn)
    session.flush()
    return turn


def add_turn(*, session: Session, session_id: str, role: str, kind: str, text: str,
             criterion_id: str | None = None) -> Turn:
    """Appends to the transcript and commits at once (see the module docstring); also bumps `updated_at`."""
    turn = append_turn(session=session, session_id=session_id, role=role, kind=kind, text=text,
                       criterion_id=criterion_id)
    session.exec(update(InterviewSession).where(col(InterviewSession.id) == session_id)
                 .values(updated_at=turn.created_at))
    session.commit()
    session.refresh(turn)
    return turn


def list_turns(*, session: Session, session_id: str, after_id: int | None = None) -> list[Turn]:
    """The transcript in order; `after_id` (a per-session `seq`) returns only turns newer than the client has."""
    query = select(Turn).where(Turn.session_id == session_id)
    if after_id is not None:
        query = query.where(col(Turn.seq) > after_id)
    return list(session.exec(query.order_by(col(Turn.seq))).all())


def find_turn_by_key(*, session: Session, session_id: str, key: str) -> Turn | None:
    """The candidate turn stored under an Idempotency-Key, if a first attempt got that far."""
    return session.exec(select(Turn).where(Turn.session_id == session_id, Turn.idempotency_key == key)).first()


class Usage(NamedTuple):
    turns: int
    chars: int


def candidate_usage(*, session: Session, session_id: str) -> Usage:
    """How many messages and characters the candidate has sent in one interview: the per-session quotas."""
    turns, chars = session.exec(select(func.count(), func.coalesce(func.sum(func.length(Turn.text)), 0))
                                .where(Turn.session_id == session_id, Turn.role == "candidate")).one()
    return Usage(int(turns), int(chars))


def compare_and_set(*, session: Session, session_id: str, version: int, states: Iterable[str],
                    new_state: str | None = None, probes_asked: int | None = None,
                    completed: bool = False) -> bool:
    """One UPDATE guarded by the expected version and states; False means another request moved first.

    It does not commit: the caller commits it together with whatever the transition writes (a turn, a
    grade), so the two are never seen apart.
    """
    allowed = list(states)
    for state in allowed + ([new_state] if new_state else []):
        _check("state", state, SESSION_STATES)
    now = utcnow()
    values: dict[str, Any] = {"version": InterviewSession.version + 1, "updated_at": now}
    if new_state is not None:
        values["state"] = new_state
    if probes_asked is not None:
        values["probes_asked"] = probes_asked
    if completed:
        values["completed_at"] = func.coalesce(InterviewSession.completed_at, now)
    result = session.exec(update(InterviewSession)
                          .where(col(InterviewSession.id) == session_id, col(InterviewSession.version) == version,
                                 col(InterviewSession.state).in_(allowed))
                          .values(**values).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)


def set_state(*, session: Session, interview: InterviewSession, state: str, probes_asked: int | None = None,
              completed: bool = False) -> InterviewSession:
    """Moves the state machine unconditionally (tools and tests); requests use compare_and_set instead.

    `completed` stamps completed_at the first time only, so re-grading keeps it.
    """
    _check("state", state, SESSION_STATES)
    now = utcnow()
    interview.state = state
    interview.version += 1
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


def count_disputes(*, session: Session, session_id: str, criterion_id: str) -> int:
    """Disputes already filed on one criterion of one interview (the per-criterion quota)."""
    return int(session.exec(select(func.count()).select_from(Dispute)
                            .where(Dispute.session_id == session_id, Dispute.criterion_id == criterion_id)).one())


def list_disputes(*, session: Session, session_id: str | None = None) -> list[Dispute]:
    """Disputes oldest first, of one interview or (for the calibration review) of all of them."""
    query = select(Dispute)
    if session_id is not None:
        query = query.where(Dispute.session_id == session_id)
    return list(session.exec(query.order_by(col(Dispute.created_at))).all())


def final_grades_for(*, session: Session, candidate_id: str,
                     window: int | None = None) -> list[tuple[InterviewSession, Grade]]:
    """One (interview, latest final grade) pair per graded interview, oldest interview first: the progress series.

    Only the latest final grade counts, so an interview re-graded after a dispute is not counted twice.
    `window` reads only the candidate's newest interviews, so the cost stays flat however long the history.
    """
    query = (select(InterviewSession, Grade)
             .join(Grade, col(Grade.session_id) == col(InterviewSession.id))
             .where(InterviewSession.candidate_id == candidate_id, Grade.kind == "final")
             .order_by(col(Grade.created_at)))
    if window is not None:
        recent = (select(InterviewSession.id).where(InterviewSession.candidate_id == candidate_id)
                  .order_by(col(InterviewSession.created_at).desc()).limit(window))
        query = query.where(col(InterviewSession.id).in_(recent.scalar_subquery()))
    latest: dict[str, tuple[InterviewSession, Grade]] = {}
    for interview, grade in session.exec(query).all():
        latest[interview.id] = (interview, grade)  # ascending, so the last one seen wins
    return sorted(latest.values(), key=lambda pair: pair[0].created_at)


GUIDE_HISTORY_LIMIT = 50  # the guide view shows the latest exchanges; older ones stay stored


def add_guide_exchange(*, session: Session, candidate_id: str, question: str, answer: dict[str, Any]) -> GuideExchange:
    row = GuideExchange(candidate_id=candidate_id, question=question, answer=answer)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def list_guide_exchanges(*, session: Session, candidate_id: str,
                         limit: int = GUIDE_HISTORY_LIMIT) -> list[GuideExchange]:
    """The candidate's latest exchanges, oldest first (the order the guide view shows them in)."""
    rows = session.exec(select(GuideExchange).where(GuideExchange.candidate_id == candidate_id)
                        .order_by(col(GuideExchange.created_at).desc(), col(GuideExchange.id).desc())
                        .limit(limit)).all()
    return list(reversed(rows))
