"""What the conversation, grading and progress services share: the engine, the bank, ownership checks and views.

Ownership is checked in one place so that another candidate's session id looks exactly like a missing one
(a 404) whichever service is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.content import Question, QuestionBank
from app.db import crud
from app.db.models import InterviewSession, Turn
from app.interview.errors import QuestionNotFound, SessionNotFound
from app.interview.flow import Said, State
from app.llm.telemetry import Trace, merge_usage

SESSION_ID = re.compile(r"[0-9a-f]{32}")
OPEN_STATES = (State.awaiting_answer.value, State.follow_up.value, State.ready_to_grade.value)
# The next-question choice and progress read at most this many of a candidate's newest interviews.
HISTORY_WINDOW = 200
EXCERPT_WORDS = 14


def said(t: Turn) -> Said:
    return Said(t.role, t.kind, t.text, t.criterion_id)


def degraded(trace: Trace) -> dict[str, Any]:
    return {"degraded": trace.is_degraded, "degraded_reason": trace.reason}


def add_usage(interview: InterviewSession, trace: Trace) -> None:
    """Reassign (never mutate) the JSON column so the change is saved; no LLM call leaves it untouched."""
    if trace.calls or trace.degraded:
        interview.usage = merge_usage(interview.usage, trace)


def message_view(t: Turn) -> dict[str, Any]:
    return {"id": t.seq, "role": t.role, "kind": t.kind, "text": t.text, "criterion_id": t.criterion_id,
            "created_at": t.created_at.isoformat()}


def question_view(q: Question) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "prompt": q.prompt, "type": q.type.value, "level": q.level.value,
            "suggested_minutes": q.suggested_minutes}


def dispute_view(d: Any) -> dict[str, Any]:
    return {"id": d.id, "criterion_id": d.criterion_id, "reason": d.reason, "decision": d.decision,
            "old_level": d.old_level, "new_level": d.new_level, "explanation": d.explanation,
            "created_at": d.created_at.isoformat()}


def excerpt(turns: list[Turn]) -> str:
    """The first words of the candidate's first answer, so History rows on the same question can be told apart."""
    first = next((t.text for t in turns if t.role == "candidate" and t.kind in ("answer", "probe_answer")), "")
    words = first.split()
    return " ".join(words[:EXCERPT_WORDS]) + (" …" if len(words) > EXCERPT_WORDS else "")


@dataclass(frozen=True)
class Access:
    """The database and the bank, with the lookups every service needs."""

    engine: Engine
    bank: QuestionBank

    def owned(self, db: Session, candidate_id: str | None, session_id: str) -> InterviewSession:
        # Ids are uuid4 hex; anything else cannot exist, and must not reach the database (NUL bytes, surrogates).
        interview = (crud.get_session_for(session=db, session_id=session_id, candidate_id=candidate_id)
                     if candidate_id and SESSION_ID.fullmatch(session_id) else None)
        if interview is None:
            raise SessionNotFound(f"no interview with id {session_id[:64]!r}")
        return interview

    def question(self, question_id: str) -> Question:
        q = self.bank.get(question_id)
        if q is None:
            raise QuestionNotFound(f"no question with id {question_id!r}")
        return q

    def candidate(self, token: str | None) -> tuple[str, str | None]:
        """The candidate behind a token, creating one (and issuing a token) when there is none."""
        with Session(self.engine) as db:
            cand, issued = crud.get_or_create_candidate(session=db, token=token)
            return cand.id, issued

    def find_candidate(self, token: str | None) -> str | None:
        """Reading never creates a candidate: an unknown token simply owns nothing."""
        with Session(self.engine) as db:
            found = crud.find_candidate(session=db, token=token)
            return found.id if found else None

    def view(self, db: Session, interview: InterviewSession) -> dict[str, Any]:
        q = self.question(interview.question_id)
        grade = crud.latest_grade(session=db, session_id=interview.id)
        return {"id": interview.id, "state": interview.state, "question": question_view(q),
                "messages": [message_view(t) for t in crud.list_turns(session=db, session_id=interview.id)],
                "scorecard": grade.scorecard if grade else None,
                "disputes": [dispute_view(d) for d in crud.list_disputes(session=db, session_id=interview.id)],
                "usage": dict(interview.usage or {}),
                "created_at": interview.created_at.isoformat(),
                "completed_at": interview.completed_at.isoformat() if interview.completed_at else None}
