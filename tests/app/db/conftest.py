"""Database fixtures: every test below runs once on SQLite and once on a throw-away PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import Candidate, InterviewSession, create_session, get_or_create_candidate, make_engine, upgrade


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database already migrated to head, as the app has it after start-up."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def candidate(db: Session) -> Candidate:
    made, _ = get_or_create_candidate(session=db, token=None)
    return made


@pytest.fixture
def interview(db: Session, candidate: Candidate) -> InterviewSession:
    return create_session(session=db, candidate_id=candidate.id, question_id="metrics-01",
                          question_type="metrics", question_level="senior", state="awaiting_answer")
