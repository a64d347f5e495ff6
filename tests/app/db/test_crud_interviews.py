"""Candidates, interviews and transcripts, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import (
    Candidate,
    InterviewSession,
    add_turn,
    create_session,
    get_or_create_candidate,
    get_session_for,
    list_sessions,
    list_turns,
    make_engine,
    set_state,
)

LONG_UNICODE = ("Grüße, 日本語, émoji 🧪, Ελληνικά, עברית — " * 600)[:20_000]  # 20,000 code points, 4-byte ones too


def test_get_or_create_candidate_issues_a_token_and_finds_it_again(db: Session) -> None:
    made, token = get_or_create_candidate(session=db, token=None)
    assert token is not None and len(token) >= 43  # 32 random bytes, base64url
    found, reissued = get_or_create_candidate(session=db, token=token)
    assert found.id == made.id
    assert reissued is None


def test_get_or_create_candidate_stores_only_the_token_hash(db: Session, engine: Engine) -> None:
    made, token = get_or_create_candidate(session=db, token=None)
    assert token is not None
    assert made.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, token_hash FROM candidate")).all()
    assert all(token not in str(value) for row in rows for value in row)


def test_get_or_create_candidate_replaces_an_unknown_token(db: Session) -> None:
    known, _ = get_or_create_candidate(session=db, token=None)
    stranger, token = get_or_create_candidate(session=db, token="not-a-token-we-issued")
    assert token is not None and token != "not-a-token-we-issued"
    assert stranger.id != known.id


def test_get_session_for_hides_other_candidates_sessions(db: Session, interview: InterviewSession) -> None:
    other, _ = get_or_create_candidate(session=db, token=None)
    assert get_session_for(session=db, session_id=interview.id, candidate_id=interview.candidate_id) == interview
    assert get_session_for(session=db, session_id=interview.id, candidate_id=other.id) is None
    assert get_session_for(session=db, session_id="0" * 32, candidate_id=interview.candidate_id) is None


def test_list_sessions_newest_first_and_only_own(db: Session, candidate: Candidate) -> None:
    ids = [create_session(session=db, candidate_id=candidate.id, question_id=f"q{i}", question_type="metrics",
                          question_level="mid", state="awaiting_answer").id for i in range(3)]
    other, _ = get_or_create_candidate(session=db, token=None)
    create_session(session=db, candidate_id=other.id, question_id="q9", question_type="metrics",
                   question_level="mid", state="awaiting_answer")
    assert [s.id for s in list_sessions(session=db, candidate_id=candidate.id)] == ids[::-1]


def test_create_session_defaults(engine: Engine, interview: InterviewSession) -> None:
    with Session(engine) as fresh:
        stored = fresh.get(InterviewSession, interview.id)
    assert stored is not None
    assert (stored.probes_asked, stored.usage, stored.completed_at) == (0, {}, None)
    assert stored.created_at.utcoffset() == timedelta(0)  # aware UTC on both backends


def test_create_session_rejects_an_unknown_state(db: Session, candidate: Candidate) -> None:
    with pytest.raises(ValueError, match="state"):
        create_session(session=db, candidate_id=candidate.id, question_id="q", question_type="metrics",
                       question_level="mid", state="finished")


def test_set_state_counts_probes_and_stamps_completion_once(db: Session, interview: InterviewSession) -> None:
    set_state(session=db, interview=interview, state="follow_up", probes_asked=1)
    assert (interview.state, interview.probes_asked, interview.completed_at) == ("follow_up", 1, None)
    set_state(session=db, interview=interview, state="graded", completed=True)
    first = interview.completed_at
    assert first is not None and interview.probes_asked == 1
    set_state(session=db, interview=interview, state="graded", completed=True)
    assert interview.completed_at == first
    assert interview.updated_at >= interview.created_at


def test_usage_is_saved_when_reassigned(db: Session, engine: Engine, interview: InterviewSession) -> None:
    interview.usage = {"prompt_tokens": 120, "cost_usd": 0.0004, "latency_ms": [812.5]}
    db.add(interview)
    db.commit()
    with Session(engine) as fresh:
        stored = fresh.get(InterviewSession, interview.id)
        assert stored is not None and stored.usage == {"prompt_tokens": 120, "cost_usd": 0.0004,
                                                       "latency_ms": [812.5]}


def test_list_turns_in_order_and_after_id(db: Session, interview: InterviewSession) -> None:
    kinds = ["question", "answer", "probe", "probe_answer", "scorecard"]
    for kind in kinds:
        role = "candidate" if kind.endswith("answer") else "interviewer"
        add_turn(session=db, session_id=interview.id, role=role, kind=kind, text=kind,
                 criterion_id="c1" if kind == "probe" else None)
    turns = list_turns(session=db, session_id=interview.id)
    assert [t.kind for t in turns] == kinds
    assert [t.id for t in turns] == sorted(t.id for t in turns if t.id is not None)
    assert turns[2].criterion_id == "c1"
    later = list_turns(session=db, session_id=interview.id, after_id=turns[2].id)
    assert [t.kind for t in later] == ["probe_answer", "scorecard"]
    assert list_turns(session=db, session_id=interview.id, after_id=turns[-1].id) == []


def test_list_turns_keeps_sessions_apart(db: Session, candidate: Candidate, interview: InterviewSession) -> None:
    other = create_session(session=db, candidate_id=candidate.id, question_id="q2", question_type="metrics",
                           question_level="mid", state="awaiting_answer")
    add_turn(session=db, session_id=interview.id, role="interviewer", kind="question", text="mine")
    add_turn(session=db, session_id=other.id, role="interviewer", kind="question", text="theirs")
    assert [t.text for t in list_turns(session=db, session_id=interview.id)] == ["mine"]


def test_add_turn_is_durable_before_it_returns(db_url: str, db: Session, interview: InterviewSession) -> None:
    """A brand-new engine (another process, in effect) sees the answer while the writer's session is still open."""
    turn = add_turn(session=db, session_id=interview.id, role="candidate", kind="answer", text="My answer")
    other = make_engine(db_url)
    try:
        with Session(other) as reader:
            seen = list_turns(session=reader, session_id=interview.id)
    finally:
        other.dispose()
    assert [(t.id, t.kind, t.text) for t in seen] == [(turn.id, "answer", "My answer")]


def test_add_turn_round_trips_unicode_and_long_text(engine: Engine, db: Session,
                                                    interview: InterviewSession) -> None:
    add_turn(session=db, session_id=interview.id, role="candidate", kind="answer", text=LONG_UNICODE)
    with Session(engine) as fresh:
        (stored,) = list_turns(session=fresh, session_id=interview.id)
    assert len(stored.text) == 20_000
    assert stored.text == LONG_UNICODE


def test_add_turn_rejects_unknown_vocabulary_and_sessions(db: Session, interview: InterviewSession) -> None:
    with pytest.raises(ValueError, match="kind"):
        add_turn(session=db, session_id=interview.id, role="candidate", kind="essay", text="x")
    with pytest.raises(ValueError, match="role"):
        add_turn(session=db, session_id=interview.id, role="coach", kind="answer", text="x")
    with pytest.raises(IntegrityError):  # foreign keys are enforced on SQLite too
        add_turn(session=db, session_id="f" * 32, role="candidate", kind="answer", text="x")
    db.rollback()
    assert list_turns(session=db, session_id=interview.id) == []
