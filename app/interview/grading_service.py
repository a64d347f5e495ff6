"""Grading an interview, contesting a score, and revealing the strong answer afterwards.

A grade claims the interview first (state `grading`, a compare-and-set), so of N concurrent grades exactly
one proceeds and messages are refused from the moment of the claim; a failed or overrun grade hands it back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.budget import BudgetExceeded, GradingBudget
from app.content import Question
from app.db import crud
from app.db.models import InterviewSession, Turn, utcnow
from app.grading import EmbeddedGrader, Scorecard, from_question
from app.grading.dispute import recheck
from app.grading.scorecard import raise_level
from app.interview.access import Access, add_usage, dispute_view, said
from app.interview.errors import (
    CriterionNotFound,
    GradingFailed,
    NotGradedYet,
    NothingToGrade,
    SessionFinished,
    StateConflict,
)
from app.interview.flow import InterviewFlow, State
from app.interview.quotas import Quotas
from app.llm.telemetry import Trace, track

log = logging.getLogger(__name__)
ANSWER_KINDS = ("answer", "probe_answer")


def timing(turns: list[Turn], suggested_minutes: int) -> dict[str, Any]:
    """How long the answer took: from the question being asked to the candidate's last answer."""
    asked = turns[0].created_at if turns else None
    answers = [t.created_at for t in turns if t.role == "candidate" and t.kind in ANSWER_KINDS]
    seconds = max(0, int((answers[-1] - asked).total_seconds())) if asked and answers else 0
    return {"answer_seconds": seconds, "suggested_minutes": suggested_minutes,
            "over_time": seconds > suggested_minutes * 60}


def _scorecard_line(card: dict[str, Any]) -> str:
    if card.get("abstained"):
        return f"I couldn't grade this answer: {card.get('message')}"
    o = card["overall"]
    return f"Your scorecard is ready: {o['band'].replace('_', ' ')}, {o['score']:.0f}/100."


class GradingService:
    def __init__(self, access: Access, flow: InterviewFlow, grader: EmbeddedGrader, quotas: Quotas,
                 budget: GradingBudget) -> None:
        self.access = access
        self.flow = flow
        self.grader = grader
        self.quotas = quotas
        self.budget = budget

    def grade(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        """Claim the interview, grade within the time budget, then store the grade with the answer's timing."""
        claimed, before, q = self._claim(candidate_id, session_id)
        with Session(self.access.engine) as db:
            rows = crud.list_turns(session=db, session_id=session_id)
        turns = [said(t) for t in rows]
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
        card["timing"] = timing(rows, q.suggested_minutes)
        with Session(self.access.engine) as db:
            if not crud.compare_and_set(session=db, session_id=session_id, version=claimed,
                                        states=[State.grading.value], new_state=State.graded.value, completed=True):
                db.rollback()
                raise StateConflict("this grading took so long that another request took over; GET the interview")
            crud.append_turn(session=db, session_id=session_id, role="interviewer", kind="scorecard",
                             text=_scorecard_line(card))
            current = db.get(InterviewSession, session_id)
            if current is not None:
                add_usage(current, trace)
                db.add(current)
            crud.save_grade(session=db, session_id=session_id, kind="final", scorecard=card)  # commits it all
            return card

    def _claim(self, candidate_id: str | None, session_id: str) -> tuple[int, str, Question]:
        with Session(self.access.engine) as db:
            interview = self.access.owned(db, candidate_id, session_id)
            if interview.state == State.graded.value:
                raise SessionFinished("this interview is already graded; GET it to see the scorecard")
            # A claim older than twice the budget belongs to a process that died mid-grading; it may be taken over.
            stale: datetime = utcnow() - timedelta(seconds=2 * self.budget.seconds + 10)
            if interview.state == State.grading.value and interview.updated_at > stale:
                raise StateConflict("this interview is already being graded")
            q = self.access.question(interview.question_id)
            turns = crud.list_turns(session=db, session_id=interview.id)
            if not any(t.role == "candidate" and t.kind in ANSWER_KINDS for t in turns):
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
        with Session(self.access.engine) as db:
            crud.compare_and_set(session=db, session_id=session_id, version=claimed, states=[State.grading.value],
                                 new_state=before)
            db.commit()

    def exemplar(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        """The question's strongest labelled answer, revealed only once the candidate's own answer is graded."""
        with Session(self.access.engine) as db:
            interview = self.access.owned(db, candidate_id, session_id)
            if interview.state != State.graded.value:
                raise NotGradedYet("the strong answer is revealed after grading")
        q = self.access.question(interview.question_id)
        rank = {"strong": 0, "meets_bar": 1, "approaching": 2, "below_bar": 3}
        best = min((e for e in q.exemplars if e.quality.value == "strong"), key=lambda e: rank[e.band.value],
                   default=None)
        if best is None:
            return {"question_id": q.id, "text": q.reference_answer or "", "source": "reference_answer",
                    "levels": {}, "band": None}
        return {"question_id": q.id, "text": best.text, "source": "exemplar", "levels": dict(best.levels),
                "band": best.band.value}

    def dispute(self, candidate_id: str | None, session_id: str, criterion_id: str,
                reason: str) -> dict[str, Any]:
        with Session(self.access.engine) as db:
            interview = self.access.owned(db, candidate_id, session_id)
            grade = crud.latest_grade(session=db, session_id=interview.id)
            if grade is None:
                raise NotGradedYet("grade the interview before contesting a score")
            card = Scorecard.model_validate(grade.scorecard)
            crit = next((c for c in card.criteria if c.id == criterion_id), None)
            if crit is None:
                raise CriterionNotFound(f"the scorecard has no criterion {criterion_id!r}")
            self.quotas.check_dispute(db, interview.id, criterion_id)
            q = self.access.question(interview.question_id)
            rubric = from_question(q)
            text = "\n\n".join(t.text for t in crud.list_turns(session=db, session_id=interview.id)
                               if t.role == "candidate" and t.kind in ANSWER_KINDS)
            decision = self.budget.run(lambda: recheck(self.grader, rubric, text, criterion_id, crit.level, reason),
                                       "a dispute")
            if decision.decision == "upheld":
                card = raise_level(rubric, card, criterion_id, decision.new_level, decision.evidence)
                kept = {k: v for k, v in grade.scorecard.items() if k == "timing"}
                grade = crud.save_grade(session=db, session_id=interview.id, kind="final",
                                        scorecard={**card.to_dict(), **kept})
            d = crud.add_dispute(session=db, session_id=interview.id, grade_id=grade.id, criterion_id=criterion_id,
                                 reason=reason, decision=decision.decision, old_level=decision.old_level,
                                 new_level=decision.new_level, explanation=decision.explanation)
            log.info("dispute on %s/%s: %s", session_id, criterion_id, decision.decision)
            return {**dispute_view(d), "scorecard": card.to_dict()}
