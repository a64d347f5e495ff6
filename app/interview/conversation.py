"""The conversation: starting an interview, storing each message durably, and the interviewer's replies.

Order matters for "an answer is never lost": every candidate message is committed as a turn first, then the
flow (which may grade an interim view) runs, then the interviewer's replies and the new state are committed.

With LLM components, each step runs inside a usage trace: its tokens, cost and latency are added to the
session's `usage`, and a fallback to an embedded component marks the response `degraded` with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.budget import GradingBudget
from app.content import Question
from app.db import crud
from app.db.models import InterviewSession, Turn
from app.grading import from_question
from app.interview.access import (
    OPEN_STATES,
    Access,
    add_usage,
    degraded,
    excerpt,
    message_view,
    said,
)
from app.interview.errors import SessionFinished, StateConflict
from app.interview.flow import InterviewFlow, Said, State, Step, candidate_kind
from app.interview.quotas import Quotas
from app.llm.telemetry import Trace, track

log = logging.getLogger(__name__)
SAVED_NOTICE = "Your answer is saved. I couldn't prepare a follow-up just now; you can add more or ask for your grade."
CAS_ATTEMPTS = 3


@dataclass
class _Stored:
    """What the first step of a message saw, and the version its compare-and-set produced."""

    state: str
    version: int
    probes_asked: int
    question: Question
    turn: Turn


class ConversationService:
    def __init__(self, access: Access, flow: InterviewFlow, quotas: Quotas, budget: GradingBudget) -> None:
        self.access = access
        self.flow = flow
        self.quotas = quotas
        self.budget = budget

    def start(self, candidate_id: str, q: Question) -> dict[str, Any]:
        engine = self.access.engine
        with Session(engine) as db:
            self.quotas.check_new_session(db, candidate_id)
        with track() as trace:
            opening = self.flow.open(q)
        with Session(engine) as db:
            interview = crud.create_session(session=db, candidate_id=candidate_id, question_id=q.id,
                                            question_type=q.type.value, question_level=q.level.value,
                                            state=State.awaiting_answer.value)
            for s in opening:
                crud.add_turn(session=db, session_id=interview.id, role=s.role, kind=s.kind, text=s.text)
            if trace.calls or trace.degraded:
                add_usage(interview, trace)
                db.add(interview)
                db.commit()
                db.refresh(interview)
            return {**self.access.view(db, interview), **degraded(trace)}

    def post_message(self, candidate_id: str | None, session_id: str, text: str,
                     idempotency_key: str | None = None) -> dict[str, Any]:
        """Store the candidate's message (durably, and once per Idempotency-Key), then let the flow answer.

        Two short transactions, each a compare-and-set on the session's version: the first stores the message
        only while the interview is open (so nothing is added once a grade has begun); the second stores the
        replies and the new state only if nothing moved in between. A lost race in the second step keeps the
        message (a grade that started after it includes it) and returns no replies.
        """
        stored = self._store_message(candidate_id, session_id, text, idempotency_key)
        if isinstance(stored, dict):
            return stored  # a retry of a message that is already stored
        state, mine, q = State(stored.state), stored.turn, stored.question
        with Session(self.access.engine) as db:
            turns = [said(t) for t in crud.list_turns(session=db, session_id=session_id)]
        trace = Trace()
        try:
            with track() as trace:
                step = self.budget.run(lambda: self.flow.respond(state, q, from_question(q), turns,
                                                                 stored.probes_asked), "a follow-up")
        except Exception:  # a grader fault or overrun must not cost the candidate their answer, which is saved
            log.exception("interim grading failed for %s; continuing without a probe", session_id)
            step = Step(State.ready_to_grade if mine.kind in ("answer", "probe_answer", "skip") else state,
                        stored.probes_asked, [Said("interviewer", "notice", SAVED_NOTICE)])
        with Session(self.access.engine) as db:
            if crud.compare_and_set(session=db, session_id=session_id, version=stored.version, states=OPEN_STATES,
                                    new_state=step.state.value, probes_asked=step.probes_asked):
                new = [crud.append_turn(session=db, session_id=session_id, role=s.role, kind=s.kind,
                                        text=s.text, criterion_id=s.criterion_id) for s in step.replies]
                current = db.get(InterviewSession, session_id)
                if current is not None:
                    add_usage(current, trace)
                    db.add(current)
                db.commit()
                out_state, replies = step.state.value, [message_view(t) for t in new]
            else:
                db.rollback()
                current = db.get(InterviewSession, session_id)
                out_state, replies = (current.state if current else state.value), []
                log.info("message %s/%d lost a race; its replies are dropped", session_id, mine.seq)
        return {"state": out_state, "received": {"id": mine.seq, "kind": mine.kind}, "messages": replies,
                **degraded(trace)}

    def _store_message(self, candidate_id: str | None, session_id: str, text: str,
                       key: str | None) -> _Stored | dict[str, Any]:
        for _ in range(CAS_ATTEMPTS):
            with Session(self.access.engine) as db:
                interview = self.access.owned(db, candidate_id, session_id)
                if key and (replay := self._replay(db, interview, key)) is not None:
                    return replay
                if interview.state == State.graded.value:
                    raise SessionFinished("this interview is already graded; start a new one")
                if interview.state == State.grading.value:
                    raise StateConflict("this interview is being graded; no more messages are accepted")
                self.quotas.check_message(db, interview.id, text)
                q = self.access.question(interview.question_id)
                state, version, probes = interview.state, interview.version + 1, interview.probes_asked
                kind = candidate_kind(State(interview.state), text)
                if not crud.compare_and_set(session=db, session_id=interview.id, version=interview.version,
                                            states=[interview.state]):
                    db.rollback()
                    continue  # another message or a grade moved first: look again
                try:
                    mine = crud.append_turn(session=db, session_id=interview.id, role="candidate", kind=kind,
                                            text=text, idempotency_key=key)
                    db.commit()  # durable before any grading
                except IntegrityError:  # the same key, sent twice at once: the other request stored it
                    db.rollback()
                    continue
                db.refresh(mine)
                db.expunge(mine)
                return _Stored(state, version, probes, q, mine)
        raise StateConflict("the interview changed while your message was being saved; send it again")

    def _replay(self, db: Session, interview: InterviewSession, key: str) -> dict[str, Any] | None:
        """The response to a message already stored under `key`: it, the replies that followed it, the state."""
        mine = crud.find_turn_by_key(session=db, session_id=interview.id, key=key)
        if mine is None:
            return None
        replies = []
        for t in crud.list_turns(session=db, session_id=interview.id, after_id=mine.seq):
            if t.role == "candidate":
                break
            replies.append(message_view(t))
        return {"state": interview.state, "received": {"id": mine.seq, "kind": mine.kind}, "messages": replies,
                "degraded": False, "degraded_reason": None, "replayed": True}

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        with Session(self.access.engine) as db:
            return self.access.view(db, self.access.owned(db, candidate_id, session_id))

    def list_interviews(self, candidate_id: str | None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """One page of the candidate's interviews, newest first, each with the first words of its answer."""
        if candidate_id is None:
            return []
        with Session(self.access.engine) as db:
            out = []
            for s in crud.list_sessions(session=db, candidate_id=candidate_id, limit=limit, offset=offset):
                q = self.access.bank.get(s.question_id)
                grade = crud.latest_grade(session=db, session_id=s.id)
                out.append({"id": s.id, "state": s.state, "question_id": s.question_id,
                            "title": q.title if q else s.question_id, "type": s.question_type,
                            "level": s.question_level, "created_at": s.created_at.isoformat(),
                            "completed_at": s.completed_at.isoformat() if s.completed_at else None,
                            "score": grade.score if grade else None, "band": grade.band if grade else None,
                            "abstained": grade.abstained if grade else None,
                            "excerpt": excerpt(crud.list_turns(session=db, session_id=s.id))})
            return out
