"""SQLModel tables for mock interviews: who (Candidate), what happened (InterviewSession, Turn) and the verdicts
(Grade, CriterionGrade, Dispute).

The schema itself is owned by the Alembic migrations in app/db/migrations; these classes must stay in step with
them (tests/app/db compares the two). Enumerated columns are plain strings so that adding a value needs no
migration; the allowed values are listed here and checked in crud.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# "grading" is held while a final grade runs: it refuses messages and other grades (compare-and-set on `version`).
SESSION_STATES = ("awaiting_answer", "follow_up", "ready_to_grade", "grading", "graded")
TURN_ROLES = ("interviewer", "candidate")
TURN_KINDS = ("question", "clarifying_question", "clarification", "answer", "probe", "probe_answer", "skip",
              "notice", "scorecard", "nudge", "guide_answer")
GRADE_KINDS = ("interim", "final")
DISPUTE_DECISIONS = ("upheld", "rejected")

# Named constraints let later SQLite batch migrations (which rebuild tables) find and alter them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; naive datetimes are ambiguous once they leave the process."""
    return datetime.now(UTC)


def new_id() -> str:
    """UUID4 hex: unguessable, so a leaked session id reveals nothing about other sessions."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always reads back an aware UTC datetime.

    PostgreSQL's timestamptz keeps the instant but returns it in the connection's time zone; SQLite keeps no zone
    at all and returns naive values. Normalising here means callers compare and serialise one kind of datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use app.db.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Candidate(SQLModel, table=True):
    """An anonymous person identified only by a bearer token; we keep its sha256, so a database leak is no login."""

    __tablename__ = "candidate"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class InterviewSession(SQLModel, table=True):
    """One mock interview on one question; `state` is the interview state machine's position."""

    __tablename__ = "interview_session"
    __table_args__ = (Index("ix_interview_session_candidate_id_created_at", "candidate_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    candidate_id: str = Field(foreign_key="candidate.id", index=True, max_length=32)
    question_id: str
    question_type: str
    question_level: str
    state: str
    probes_asked: int = 0
    # Bumped by every transition; an UPDATE ... WHERE version = :seen is how concurrent requests take turns.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # Token usage, cost and latency of an LLM-backed interview. Reassign the dict to save a change: plain JSON
    # columns do not notice in-place mutation.
    usage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Turn(SQLModel, table=True):
    """One message of the transcript. `seq` (1, 2, ... per session) is the id clients see and the polling cursor;
    the global `id` stays internal, so it cannot reveal how busy the service is."""

    __tablename__ = "turn"
    # Unique indexes rather than constraints: SQLite adds those in place (see migration 0003).
    __table_args__ = (Index("uq_turn_session_id_seq", "session_id", "seq", unique=True),
                      Index("uq_turn_session_id_idempotency_key", "session_id", "idempotency_key", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="interview_session.id", index=True, max_length=32)
    seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The client's Idempotency-Key on a candidate message: a retry finds the stored turn instead of adding one.
    idempotency_key: str | None = Field(default=None, max_length=64)
    role: str
    kind: str
    text: str = Field(sa_type=Text)
    criterion_id: str | None = None  # the rubric criterion a probe targets
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class Grade(SQLModel, table=True):
    """A scorecard as the API returned it, plus the columns we query (score, band) and the grader fingerprint."""

    __tablename__ = "grade"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    session_id: str = Field(foreign_key="interview_session.id", index=True, max_length=32)
    kind: str
    abstained: bool
    reason: str | None = None
    score: float | None = None
    band: str | None = None
    scorecard: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class CriterionGrade(SQLModel, table=True):
    """One criterion of a grade as rows, so progress per competency is a query rather than JSON parsing."""

    __tablename__ = "criterion_grade"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    grade_id: str = Field(foreign_key="grade.id", index=True, max_length=32)
    criterion_id: str
    competency: str
    level: int
    weight: float
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    missing: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Dispute(SQLModel, table=True):
    """A candidate's challenge to one criterion of a grade, and the decision with its explanation."""

    __tablename__ = "dispute"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    session_id: str = Field(foreign_key="interview_session.id", index=True, max_length=32)
    grade_id: str = Field(foreign_key="grade.id", index=True, max_length=32)
    criterion_id: str
    reason: str = Field(sa_type=Text)
    decision: str
    old_level: int
    new_level: int
    explanation: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class GuideExchange(SQLModel, table=True):
    """One question asked of the guide and the answer shown, so the guide view keeps its history across reloads.
    `answer` is the response as the API returned it (text, citations, declines and degraded flags)."""

    __tablename__ = "guide_exchange"
    __table_args__ = (Index("ix_guide_exchange_candidate_id_created_at", "candidate_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: str = Field(foreign_key="candidate.id", index=True, max_length=32)
    question: str = Field(sa_type=Text)
    answer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class StartupEvent(SQLModel, table=True):
    """Work one replica did at start-up for all of them (a migration, an ingestion), written under the start-up
    lock: with N replicas starting together there is one row per piece of work, not N (tests count them)."""

    __tablename__ = "startup_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # "migrate" or "ingest"
    detail: str = Field(default="", sa_type=Text)
    host: str = Field(default="", max_length=255)
    pid: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
