"""Interviews end to end: the flow, the grader and the database, for one candidate at a time.

Order matters for "an answer is never lost": every candidate message is committed as a turn first, then the
flow (which may grade) runs, then the interviewer's replies and the new state are committed. If grading
crashes, the answer is already on disk and the session can be graded again.

With LLM components, each step runs inside a usage trace: its tokens, cost and latency are added to the
session's `usage`, and a fallback to an embedded component marks the response `degraded` with the reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.budget import BudgetExceeded, GradingBudget
from app.content import Question, QuestionBank, band_for, overall_score
from app.db import crud
from app.db.models import InterviewSession, Turn, utcnow
from app.grading import EmbeddedGrader, Scorecard, from_question
from app.grading.dispute import recheck
from app.interview.errors import (
    CriterionNotFound,
    GradingFailed,
    NotGradedYet,
    QuestionNotFound,
    SessionNotFound,
    StateConflict,
)
from app.interview.flow import InterviewFlow, NothingToGrade, Said, SessionFinished, State, Step, candidate_kind
from app.interview.progress import GradedSession, mastery, next_best, weakest
from app.interview.quotas import Quotas
from app.llm.telemetry import Trace, merge_usage, track

log = logging.getLogger(__name__)
SAVED_NOTICE = "Your answer is saved. I couldn't prepare a follow-up just now; you can add more or ask for your grade."
OPEN_STATES = (State.awaiting_answer.value, State.follow_up.value, State.ready_to_grade.value)
# The next-question choice and progress read at most this many of a candidate's newest interviews.
HISTORY_WINDOW = 200
SESSION_ID = re.compile(r"[0-9a-f]{32}")
CAS_ATTEMPTS = 3


def _said(t: Turn) -> Said:
    return Said(t.role, t.kind, t.text, t.criterion_id)


def _degraded(trace: Trace) -> dict[str, Any]:
    return {"degraded": trace.is_degraded, "degraded_reason": trace.reason}


def _add_usage(interview: InterviewSession, trace: Trace) -> None:
    """Reassign (never mutate) the JSON column so the change is saved; no LLM call leaves it untouched."""
    if trace.calls or trace.degraded:
        interview.usage = merge_usage(interview.usage, trace)


def message_view(t: Turn) -> dict[str, Any]:
    return {"id": t.seq, "role": t.role, "kind": t.kind, "text": t.text, "criterion_id": t.criterion_id,
            "created_at": t.created_at.isoformat()}


def question_view(q: Question) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "prompt": q.prompt, "type": q.type.value, "level": q.level.value,
            "suggested_minutes": q.suggested_minutes}


class InterviewService:
    def __init__(self, engine: Engine, bank: QuestionBank, flow: InterviewFlow, grader: EmbeddedGrader,
                 quotas: Quotas | None = None, budget: GradingBudget | None = None) -> None:
        self.engine = engine
        self.bank = bank
        self.flow = flow
        self.grader = grader
        self.quotas = quotas or Quotas()
        self.budget = budget or GradingBudget(20.0)

    # -- candidates and sessions -------------------------------------------------------------------------

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

    def _owned(self, db: Session, candidate_id: str | None, session_id: str) -> InterviewSession:
        # Ids are uuid4 hex; anything else cannot exist, and must not reach the database (NUL bytes, surrogates).
        interview = (crud.get_session_for(session=db, session_id=session_id, candidate_id=candidate_id)
                     if candidate_id and SESSION_ID.fullmatch(session_id) else None)
        if interview is None:
            raise SessionNotFound(f"no interview with id {session_id[:64]!r}")
        return interview

    def _question(self, question_id: str) -> Question:
        q = self.bank.get(question_id)
        if q is None:
            raise QuestionNotFound(f"no question with id {question_id!r}")
        return q

    def choose_question(self, candidate_id: str | None, question_id: str | None, qtype: str | None,
                        level: str | None) -> Question:
        if question_id:
            return self._question(question_id)
        recent: list[str] = []
        graded: list[GradedSession] = []
        if candidate_id:
            with Session(self.engine) as db:
                recent = [s.question_id for s in reversed(crud.list_sessions(
                    session=db, candidate_id=candidate_id, limit=HISTORY_WINDOW))]
                graded = self._graded(db, candidate_id)
        pool = [q for q in self.bank if (qtype is None or q.type.value == qtype)
                and (level is None or q.level.value == level)]
        if not pool:
            raise QuestionNotFound(f"no question matches type={qtype!r} level={level!r}")
        return next_best(QuestionBank({q.id: q for q in pool}, {}), mastery(graded), recent)

    def start(self, candidate_id: str, question_id: str | None = None, qtype: str | None = None,
              level: str | None = None) -> dict[str, Any]:
        q = self.choose_question(candidate_id, question_id, qtype, level)
        with Session(self.engine) as db:
            self.quotas.check_new_session(db, candidate_id)
        with track() as trace:
            opening = self.flow.open(q)
        with Session(self.engine) as db:
            interview = crud.create_session(session=db, candidate_id=candidate_id, question_id=q.id,
                                            question_type=q.type.value, question_level=q.level.value,
                                            state=State.awaiting_answer.value)
            for said in opening:
                crud.add_turn(session=db, session_id=interview.id, role=said.role, kind=said.kind, text=said.text)
            if trace.calls or trace.degraded:
                _add_usage(interview, trace)
                db.add(interview)
                db.commit()
                db.refresh(interview)
            return {**self._view(db, interview), **_degraded(trace)}

    # -- the conversation -------------------------------------------------------------------------------

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
        with Session(self.engine) as db:
            turns = [_said(t) for t in crud.list_turns(session=db, session_id=session_id)]
        trace = Trace()
        try:
            with track() as trace:
                step = self.budget.run(lambda: self.flow.respond(state, q, from_question(q), turns,
                                                                 stored.probes_asked), "a follow-up")
        except Exception:  # a grader fault or overrun must not cost the candidate their answer, which is saved
            log.exception("interim grading failed for %s; continuing without a probe", session_id)
            step = Step(State.ready_to_grade if mine.kind in ("answer", "probe_answer", "skip") else state,
                        stored.probes_asked, [Said("interviewer", "notice", SAVED_NOTICE)])
        with Session(self.engine) as db:
            if crud.compare_and_set(session=db, session_id=session_id, version=stored.version, states=OPEN_STATES,
                                    new_state=step.state.value, probes_asked=step.probes_asked):
                new = [crud.append_turn(session=db, session_id=session_id, role=s.role, kind=s.kind,
                                        text=s.text, criterion_id=s.criterion_id) for s in step.replies]
                current = db.get(InterviewSession, session_id)
                if current is not None:
                    _add_usage(current, trace)
                    db.add(current)
                db.commit()
                out_state, replies = step.state.value, [message_view(t) for t in new]
            else:
                db.rollback()
                current = db.get(InterviewSession, session_id)
                out_state, replies = (current.state if current else state.value), []
                log.info("message %s/%d lost a race; its replies are dropped", session_id, mine.seq)
        return {"state": out_state, "received": {"id": mine.seq, "kind": mine.kind}, "messages": replies,
                **_degraded(trace)}

    def _store_message(self, candidate_id: str | None, session_id: str, text: str,
                       key: str | None) -> _Stored | dict[str, Any]:
        for _ in range(CAS_ATTEMPTS):
            with Session(self.engine) as db:
                interview = self._owned(db, candidate_id, session_id)
                if key and (replay := self._replay(db, interview, key)) is not None:
                    return replay
                if interview.state == State.graded.value:
                    raise SessionFinished("this interview is already graded; start a new one")
                if interview.state == State.grading.value:
                    raise StateConflict("this interview is being graded; no more messages are accepted")
                self.quotas.check_message(db, interview.id, text)
                q = self._question(interview.question_id)
                seen = _Stored(interview.state, interview.version + 1, interview.probes_asked, q, None)
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
                return _Stored(seen.state, seen.version, seen.probes_asked, q, mine)
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

    def grade(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        """Claim the interview (state `grading`), grade within the time budget, then store the grade.

        The claim is a compare-and-set, so of N concurrent grades exactly one proceeds and the others get a 409;
        messages are refused from the moment of the claim. A failed or overrun grading hands the interview back.
        """
        claimed, before, q = self._claim_for_grading(candidate_id, session_id)
        with Session(self.engine) as db:
            turns = [_said(t) for t in crud.list_turns(session=db, session_id=session_id)]
        trace = Trace()
        try:
            with track() as trace:
                card = self.budget.run(lambda: self.flow.grade(from_question(q), turns).to_dict())
        except (NothingToGrade, BudgetExceeded):
            self._release(session_id, claimed, before)
            raise
        except Exception as exc:
            self._release(session_id, claimed, before)
            log.exception("grading failed for %s", session_id)
            raise GradingFailed("grading failed; your answers are saved, so retry in a moment") from exc
        with Session(self.engine) as db:
            if not crud.compare_and_set(session=db, session_id=session_id, version=claimed,
                                        states=[State.grading.value], new_state=State.graded.value, completed=True):
                db.rollback()
                raise StateConflict("this grading took so long that another request took over; GET the interview")
            crud.append_turn(session=db, session_id=session_id, role="interviewer", kind="scorecard",
                             text=_scorecard_line(card))
            current = db.get(InterviewSession, session_id)
            if current is not None:
                _add_usage(current, trace)
                db.add(current)
            crud.save_grade(session=db, session_id=session_id, kind="final", scorecard=card)  # commits it all
            return card

    def _claim_for_grading(self, candidate_id: str | None, session_id: str) -> tuple[int, str, Question]:
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            if interview.state == State.graded.value:
                raise SessionFinished("this interview is already graded; GET it to see the scorecard")
            # A claim older than twice the budget belongs to a process that died mid-grading; it may be taken over.
            stale = utcnow() - timedelta(seconds=2 * self.budget.seconds + 10)
            if interview.state == State.grading.value and interview.updated_at > stale:
                raise StateConflict("this interview is already being graded")
            q = self._question(interview.question_id)
            turns = crud.list_turns(session=db, session_id=interview.id)
            if not any(t.role == "candidate" and t.kind in ("answer", "probe_answer") for t in turns):
                raise NothingToGrade("there is no answer to grade yet")
            before = (State.ready_to_grade.value if interview.state == State.grading.value else interview.state)
            claimed = interview.version + 1
            if not crud.compare_and_set(session=db, session_id=interview.id, version=interview.version,
                                        states=[interview.state], new_state=State.grading.value):
                db.rollback()
                raise StateConflict("this interview changed or is already being graded; GET it and retry")
            db.commit()
            return claimed, before, q

    def _release(self, session_id: str, claimed: int, before: str) -> None:
        with Session(self.engine) as db:
            crud.compare_and_set(session=db, session_id=session_id, version=claimed, states=[State.grading.value],
                                 new_state=before)
            db.commit()

    # -- reading ----------------------------------------------------------------------------------------

    def _view(self, db: Session, interview: InterviewSession) -> dict[str, Any]:
        q = self._question(interview.question_id)
        grade = crud.latest_grade(session=db, session_id=interview.id)
        return {"id": interview.id, "state": interview.state, "question": question_view(q),
                "messages": [message_view(t) for t in crud.list_turns(session=db, session_id=interview.id)],
                "scorecard": grade.scorecard if grade else None,
                "disputes": [_dispute_view(d) for d in crud.list_disputes(session=db, session_id=interview.id)],
                "usage": dict(interview.usage or {}),
                "created_at": interview.created_at.isoformat(),
                "completed_at": interview.completed_at.isoformat() if interview.completed_at else None}

    def get(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            return self._view(db, self._owned(db, candidate_id, session_id))

    def turns_after(self, candidate_id: str | None, session_id: str, after: int | None) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            self._owned(db, candidate_id, session_id)
            return [message_view(t) for t in crud.list_turns(session=db, session_id=session_id, after_id=after)
                    if t.role == "interviewer"]

    def list_interviews(self, candidate_id: str | None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """One page of the candidate's interviews, newest first."""
        if candidate_id is None:
            return []
        with Session(self.engine) as db:
            out = []
            for s in crud.list_sessions(session=db, candidate_id=candidate_id, limit=limit, offset=offset):
                q = self.bank.get(s.question_id)
                grade = crud.latest_grade(session=db, session_id=s.id)
                out.append({"id": s.id, "state": s.state, "question_id": s.question_id,
                            "title": q.title if q else s.question_id, "type": s.question_type,
                            "level": s.question_level, "created_at": s.created_at.isoformat(),
                            "completed_at": s.completed_at.isoformat() if s.completed_at else None,
                            "score": grade.score if grade else None, "band": grade.band if grade else None,
                            "abstained": grade.abstained if grade else None})
            return out

    def exemplar(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        """The question's strongest labelled answer, revealed only once the candidate's own answer is graded."""
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            if interview.state != State.graded.value:
                raise NotGradedYet("the strong answer is revealed after grading")
        q = self._question(interview.question_id)
        rank = {"strong": 0, "meets_bar": 1, "approaching": 2, "below_bar": 3}
        best = min((e for e in q.exemplars if e.quality.value == "strong"), key=lambda e: rank[e.band.value],
                   default=None)
        if best is None:
            return {"question_id": q.id, "text": q.reference_answer or "", "source": "reference_answer",
                    "levels": {}, "band": None}
        return {"question_id": q.id, "text": best.text, "source": "exemplar", "levels": dict(best.levels),
                "band": best.band.value}

    # -- disputes and progress --------------------------------------------------------------------------

    def dispute(self, candidate_id: str | None, session_id: str, criterion_id: str,
                reason: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            grade = crud.latest_grade(session=db, session_id=interview.id)
            if grade is None:
                raise NotGradedYet("grade the interview before contesting a score")
            card = Scorecard.model_validate(grade.scorecard)
            crit = next((c for c in card.criteria if c.id == criterion_id), None)
            if crit is None:
                raise CriterionNotFound(f"the scorecard has no criterion {criterion_id!r}")
            self.quotas.check_dispute(db, interview.id, criterion_id)
            q = self._question(interview.question_id)
            rubric = from_question(q)
            text = "\n\n".join(t.text for t in crud.list_turns(session=db, session_id=interview.id)
                               if t.role == "candidate" and t.kind in ("answer", "probe_answer"))
            decision = self.budget.run(lambda: recheck(self.grader, rubric, text, criterion_id, crit.level, reason),
                                       "a dispute")
            if decision.decision == "upheld":
                crit.level = decision.new_level
                crit.evidence = list(dict.fromkeys([*crit.evidence, *decision.evidence]))
                levels = {c.id: c.level for c in card.criteria}
                score = round(overall_score(levels, rubric.weights), 1)
                card.overall = type(card.overall)(score=score, band=band_for(score).value) if card.overall else None
                card.flags.append(f"{crit.name} was raised to level {decision.new_level} after a dispute.")
                grade = crud.save_grade(session=db, session_id=interview.id, kind="final", scorecard=card.to_dict())
            d = crud.add_dispute(session=db, session_id=interview.id, grade_id=grade.id, criterion_id=criterion_id,
                                 reason=reason, decision=decision.decision, old_level=decision.old_level,
                                 new_level=decision.new_level, explanation=decision.explanation)
            log.info("dispute on %s/%s: %s", session_id, criterion_id, decision.decision)
            return {**_dispute_view(d), "scorecard": card.to_dict()}

    def _graded(self, db: Session, candidate_id: str) -> list[GradedSession]:
        out = []
        for s, g in crud.final_grades_for(session=db, candidate_id=candidate_id, window=HISTORY_WINDOW):
            if g.abstained:
                continue
            crits = g.scorecard.get("criteria", [])
            out.append(GradedSession(s.id, s.question_id, s.question_type, s.completed_at or g.created_at,
                                     g.score, g.band, [(c.get("competency") or "", int(c["level"])) for c in crits]))
        return out

    def progress(self, candidate_id: str | None) -> dict[str, Any]:
        """Mastery and history over the newest HISTORY_WINDOW interviews; an unknown candidate has none."""
        graded: list[GradedSession] = []
        sessions: list[InterviewSession] = []
        total = 0
        if candidate_id:
            with Session(self.engine) as db:
                graded = self._graded(db, candidate_id)
                sessions = crud.list_sessions(session=db, candidate_id=candidate_id, limit=HISTORY_WINDOW)
                total = crud.count_sessions(session=db, candidate_id=candidate_id)
        prog = mastery(graded)
        recent = [s.question_id for s in reversed(sessions)]
        suggestion = next_best(self.bank, prog, recent)
        return {
            "competencies": [{"competency": p.competency, "mastery": p.mastery, "sessions": p.sessions,
                              "history": [{"at": at, "mastery": m} for at, m in p.history]} for p in prog.values()],
            "weakest": weakest(prog)[:3],
            "history": [{"session_id": g.session_id, "question_id": g.question_id, "type": g.question_type,
                         "completed_at": g.completed_at.isoformat(), "score": g.score, "band": g.band}
                        for g in graded],
            "sessions": total,
            "next_question": question_view(suggestion),
        }


@dataclass
class _Stored:
    """What the first step of a message saw, and the version its compare-and-set produced."""

    state: str
    version: int
    probes_asked: int
    question: Question
    turn: Any  # the stored Turn (None only while being built)


def _dispute_view(d: Any) -> dict[str, Any]:
    return {"id": d.id, "criterion_id": d.criterion_id, "reason": d.reason, "decision": d.decision,
            "old_level": d.old_level, "new_level": d.new_level, "explanation": d.explanation,
            "created_at": d.created_at.isoformat()}


def _scorecard_line(card: dict[str, Any]) -> str:
    if card.get("abstained"):
        return f"I couldn't grade this answer: {card.get('message')}"
    o = card["overall"]
    return f"Your scorecard is ready: {o['band'].replace('_', ' ')}, {o['score']:.0f}/100."
