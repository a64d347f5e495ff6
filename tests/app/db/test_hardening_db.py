"""Migration 0003 and the compare-and-set primitives, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import (
    InterviewSession,
    append_turn,
    candidate_usage,
    compare_and_set,
    find_turn_by_key,
    make_engine,
    upgrade,
)
from app.db.migrate import alembic_config


def test_0003_numbers_existing_turns_per_session(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        config = alembic_config(db_url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO candidate (id, token_hash, created_at) "
                              "VALUES ('c', 'h', CURRENT_TIMESTAMP)"))
            for sid in ("a", "b"):
                conn.execute(text("INSERT INTO interview_session (id, candidate_id, question_id, question_type, "
                                  "question_level, state, probes_asked, created_at, updated_at, usage) VALUES "
                                  "(:id, 'c', 'q', 't', 'l', 'awaiting_answer', 0, CURRENT_TIMESTAMP, "
                                  "CURRENT_TIMESTAMP, '{}')"), {"id": sid})
            for sid in ("a", "b", "a", "a", "b"):  # interleaved, as sessions run side by side
                conn.execute(text("INSERT INTO turn (session_id, role, kind, text, created_at) VALUES "
                                  "(:s, 'candidate', 'answer', 'x', CURRENT_TIMESTAMP)"), {"s": sid})
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT session_id, seq FROM turn ORDER BY id")).all()
            versions = conn.execute(text("SELECT version FROM interview_session")).scalars().all()
        assert [tuple(r) for r in rows] == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]
        assert versions == [0, 0]
    finally:
        engine.dispose()


def test_compare_and_set_moves_only_from_the_expected_version_and_state(engine: Engine,
                                                                        interview: InterviewSession) -> None:
    with Session(engine) as db:
        assert compare_and_set(session=db, session_id=interview.id, version=0, states=["awaiting_answer"],
                               new_state="grading")
        db.commit()
    with Session(engine) as db:
        assert not compare_and_set(session=db, session_id=interview.id, version=0, states=["awaiting_answer"],
                                   new_state="graded")  # stale version
        assert not compare_and_set(session=db, session_id=interview.id, version=1, states=["ready_to_grade"],
                                   new_state="graded")  # wrong state
        assert compare_and_set(session=db, session_id=interview.id, version=1, states=["grading"],
                               new_state="graded", completed=True)
        db.commit()
        got = db.get(InterviewSession, interview.id)
        assert got is not None and got.state == "graded" and got.version == 2 and got.completed_at is not None


def test_turns_are_numbered_and_keyed_per_session(engine: Engine, interview: InterviewSession) -> None:
    with Session(engine) as db:
        first = append_turn(session=db, session_id=interview.id, role="candidate", kind="answer", text="hello",
                            idempotency_key="k1")
        second = append_turn(session=db, session_id=interview.id, role="interviewer", kind="probe", text="why?")
        db.commit()
        assert (first.seq, second.seq) == (1, 2)
        found = find_turn_by_key(session=db, session_id=interview.id, key="k1")
        assert found is not None and found.text == "hello"
        assert candidate_usage(session=db, session_id=interview.id) == (1, 5)
