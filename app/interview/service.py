"""Interviews end to end: the flow, the grader and the database, for one candidate at a time.

Order matters for "an answer is never lost": every candidate message is committed as a turn first, then the
flow (which may grade) runs, then the interviewer's replies and the new state are committed. If grading
crashes, the answer is already on disk and the session can be graded again.

With LLM components, each step runs inside a usage trace: its tokens, cost and latency are added to the
session's `usage`, and a fallback to an embedded component marks the response `degraded` with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.content import Question, QuestionBank, band_for, overall_score
from app.db import crud
from app.db.models import InterviewSession, Turn
from app.grading import EmbeddedGrader, Scorecard, from_question
from app.grading.dispute import recheck
from app.interview.errors import CriterionNotFound, GradingFailed, NotGradedYet, QuestionNotFound, SessionNotFound
from app.interview.flow import InterviewFlow, NothingToGrade, Said, SessionFinished, State, Step, candidate_kind
from app.interview.progress import GradedSession, mastery, next_best, weakest
from app.llm.telemetry import Trace, merge_usage, track

log = logging.getLogger(__name__)
SAVED_NOTICE = "Your answer is saved. I couldn't prepare a follow-up just now; you can add more or ask for your grade."


def _said(t: Turn) -> Said:
    return Said(t.role, t.kind, t.text, t.criterion_id)


def _degraded(trace: Trace) -> dict[str, Any]:
    return {"degraded": trace.is_degraded, "degraded_reason": trace.reason}


def _add_usage(interview: InterviewSession, trace: Trace) -> None:
    """Reassign (never mutate) the JSON column so the change is saved; no LLM call leaves it untouched."""
    if trace.calls or trace.degraded:
        interview.usage = merge_usage(interview.usage, trace)


def message_view(t: Turn) -> dict[str, Any]:
    return {"id": t.id, "role": t.role, "kind": t.kind, "text": t.text, "criterion_id": t.criterion_id,
            "created_at": t.created_at.isoformat()}


def question_view(q: Question) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "prompt": q.prompt, "type": q.type.value, "level": q.level.value,
            "suggested_minutes": q.suggested_minutes}


class InterviewService:
    def __init__(self, engine: Engine, bank: QuestionBank, flow: InterviewFlow, grader: EmbeddedGrader) -> None:
        self.engine = engine
        self.bank = bank
        self.flow = flow
        self.grader = grader

    # -- candidates and sessions -------------------------------------------------------------------------

    def candidate(self, token: str | None) -> tuple[str, str | None]:
        with Session(self.engine) as db:
            cand, issued = crud.get_or_create_candidate(session=db, token=token)
            return cand.id, issued

    def _owned(self, db: Session, candidate_id: str, session_id: str) -> InterviewSession:
        interview = crud.get_session_for(session=db, session_id=session_id, candidate_id=candidate_id)
        if interview is None:
            raise SessionNotFound(f"no interview with id {session_id!r}")
        return interview

    def _question(self, question_id: str) -> Question:
        q = self.bank.get(question_id)
        if q is None:
            raise QuestionNotFound(f"no question with id {question_id!r}")
        return q

    def choose_question(self, candidate_id: str, question_id: str | None, qtype: str | None,
                        level: str | None) -> Question:
        if question_id:
            return self._question(question_id)
        with Session(self.engine) as db:
            recent = [s.question_id for s in reversed(crud.list_sessions(session=db, candidate_id=candidate_id))]
            graded = self._graded(db, candidate_id)
        pool = [q for q in self.bank if (qtype is None or q.type.value == qtype)
                and (level is None or q.level.value == level)]
        if not pool:
            raise QuestionNotFound(f"no question matches type={qtype!r} level={level!r}")
        return next_best(QuestionBank({q.id: q for q in pool}, {}), mastery(graded), recent)

    def start(self, candidate_id: str, question_id: str | None = None, qtype: str | None = None,
              level: str | None = None) -> dict[str, Any]:
        q = self.choose_question(candidate_id, question_id, qtype, level)
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

    def post_message(self, candidate_id: str, session_id: str, text: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            state = State(interview.state)
            if state is State.graded:
                raise SessionFinished("this interview is already graded; start a new one")
            mine = crud.add_turn(session=db, session_id=interview.id, role="candidate",
                                 kind=candidate_kind(state, text), text=text)  # durable before any grading
            q = self._question(interview.question_id)
            turns = [_said(t) for t in crud.list_turns(session=db, session_id=interview.id)]
            try:
                with track() as trace:
                    step = self.flow.respond(state, q, from_question(q), turns, interview.probes_asked)
            except Exception:  # a grader fault must not cost the candidate their answer, which is already saved
                log.exception("interim grading failed for %s; continuing without a probe", session_id)
                step = Step(State.ready_to_grade if mine.kind in ("answer", "probe_answer", "skip") else state,
                            interview.probes_asked, [Said("interviewer", "notice", SAVED_NOTICE)])
            new = [crud.add_turn(session=db, session_id=interview.id, role=s.role, kind=s.kind, text=s.text,
                                 criterion_id=s.criterion_id) for s in step.replies]
            _add_usage(interview, trace)
            crud.set_state(session=db, interview=interview, state=step.state.value, probes_asked=step.probes_asked)
            return {"state": step.state.value, "received": {"id": mine.id, "kind": mine.kind},
                    "messages": [message_view(t) for t in new], **_degraded(trace)}

    def grade(self, candidate_id: str, session_id: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            if interview.state == State.graded.value:
                raise SessionFinished("this interview is already graded; GET it to see the scorecard")
            q = self._question(interview.question_id)
            turns = [_said(t) for t in crud.list_turns(session=db, session_id=interview.id)]
            if not any(t.role == "candidate" and t.kind in ("answer", "probe_answer") for t in turns):
                raise NothingToGrade("there is no answer to grade yet")
            try:
                with track() as trace:
                    card = self.flow.grade(from_question(q), turns).to_dict()
            except NothingToGrade:
                raise
            except Exception as exc:
                log.exception("grading failed for %s", session_id)
                raise GradingFailed("grading failed; your answers are saved, so retry in a moment") from exc
            crud.save_grade(session=db, session_id=interview.id, kind="final", scorecard=card)
            crud.add_turn(session=db, session_id=interview.id, role="interviewer", kind="scorecard",
                          text=_scorecard_line(card))
            _add_usage(interview, trace)
            crud.set_state(session=db, interview=interview, state=State.graded.value, completed=True)
            return card

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

    def get(self, candidate_id: str, session_id: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            return self._view(db, self._owned(db, candidate_id, session_id))

    def turns_after(self, candidate_id: str, session_id: str, after: int | None) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            self._owned(db, candidate_id, session_id)
            return [message_view(t) for t in crud.list_turns(session=db, session_id=session_id, after_id=after)
                    if t.role == "interviewer"]

    def list_interviews(self, candidate_id: str) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            out = []
            for s in crud.list_sessions(session=db, candidate_id=candidate_id):
                q = self.bank.get(s.question_id)
                grade = crud.latest_grade(session=db, session_id=s.id)
                out.append({"id": s.id, "state": s.state, "question_id": s.question_id,
                            "title": q.title if q else s.question_id, "type": s.question_type,
                            "level": s.question_level, "created_at": s.created_at.isoformat(),
                            "completed_at": s.completed_at.isoformat() if s.completed_at else None,
                            "score": grade.score if grade else None, "band": grade.band if grade else None,
                            "abstained": grade.abstained if grade else None})
            return out

    def exemplar(self, candidate_id: str, session_id: str) -> dict[str, Any]:
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

    def dispute(self, candidate_id: str, session_id: str, criterion_id: str, reason: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            interview = self._owned(db, candidate_id, session_id)
            grade = crud.latest_grade(session=db, session_id=interview.id)
            if grade is None:
                raise NotGradedYet("grade the interview before contesting a score")
            card = Scorecard.model_validate(grade.scorecard)
            crit = next((c for c in card.criteria if c.id == criterion_id), None)
            if crit is None:
                raise CriterionNotFound(f"the scorecard has no criterion {criterion_id!r}")
            q = self._question(interview.question_id)
            rubric = from_question(q)
            text = "\n\n".join(t.text for t in crud.list_turns(session=db, session_id=interview.id)
                               if t.role == "candidate" and t.kind in ("answer", "probe_answer"))
            decision = recheck(self.grader, rubric, text, criterion_id, crit.level, reason)
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
        for s, g in crud.final_grades_for(session=db, candidate_id=candidate_id):
            if g.abstained:
                continue
            crits = g.scorecard.get("criteria", [])
            out.append(GradedSession(s.id, s.question_id, s.question_type, s.completed_at or g.created_at,
                                     g.score, g.band, [(c.get("competency") or "", int(c["level"])) for c in crits]))
        return out

    def progress(self, candidate_id: str) -> dict[str, Any]:
        with Session(self.engine) as db:
            graded = self._graded(db, candidate_id)
            sessions = crud.list_sessions(session=db, candidate_id=candidate_id)
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
            "sessions": len(sessions),
            "next_question": question_view(suggestion),
        }


def _dispute_view(d: Any) -> dict[str, Any]:
    return {"id": d.id, "criterion_id": d.criterion_id, "reason": d.reason, "decision": d.decision,
            "old_level": d.old_level, "new_level": d.new_level, "explanation": d.explanation,
            "created_at": d.created_at.isoformat()}


def _scorecard_line(card: dict[str, Any]) -> str:
    if card.get("abstained"):
        return f"I couldn't grade this answer: {card.get('message')}"
    o = card["overall"]
    return f"Your scorecard is ready: {o['band'].replace('_', ' ')}, {o['score']:.0f}/100."
