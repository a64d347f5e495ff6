"""Stateless grading: POST /api/grade with a bank question id or an inline question and rubric, and
POST /api/grade/disputes to contest one criterion of such a grade."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import BankDep, EmbeddedDep, GraderDep, InterviewsDep
from app.api.interview_models import GradeDisputeOut, ScorecardOut, errors
from app.api.schemas import GradeDisputeIn, GradeIn
from app.content import QuestionBank
from app.content.errors import QuestionNotFound
from app.grading import GradingRubric, InvalidRubric, Scorecard, from_inline, from_question, rubric_warnings
from app.grading.dispute import DisputeDecision, contest

router = APIRouter(prefix="/api", tags=["grading"])


def _rubric(body: GradeIn, bank: QuestionBank) -> GradingRubric:
    if body.question_id:
        q = bank.get(body.question_id)
        if q is None:
            raise QuestionNotFound(f"no question with id {body.question_id!r}")
        return from_question(q)
    if body.question is None:
        raise InvalidRubric("give question_id, or an inline question with a rubric and/or a reference_answer")
    return from_inline(body.question, body.rubric, body.reference_answer)


def _with_warnings(body: GradeIn, card: dict[str, Any]) -> dict[str, Any]:
    warnings: list[str] = [*body.wrapper_warnings, *rubric_warnings(body.rubric)] if body.question_id is None else []
    return {**card, "rubric_warnings": warnings} if warnings else card


@router.post("/grade", response_model=ScorecardOut, responses=errors(403, 404, 408, 413, 422, 429, 500, 503))
def grade(body: GradeIn, grader: GraderDep, bank: BankDep, interviews: InterviewsDep) -> dict[str, Any]:
    """Grades within the per-request time budget (GRADE_TIME_BUDGET), sharing the interviews' worker pool."""
    rubric = _rubric(body, bank)
    return _with_warnings(body, interviews.budget.run(lambda: grader.grade(rubric, body.answer).to_dict()))


@router.post("/grade/disputes", response_model=GradeDisputeOut,
             responses=errors(403, 404, 408, 409, 413, 422, 429, 500, 503))
def dispute(body: GradeDisputeIn, grader: GraderDep, embedded: EmbeddedDep, bank: BankDep,
            interviews: InterviewsDep) -> dict[str, Any]:
    """Contest one criterion of a stateless grade: the answer is graded again (deterministic), the earlier
    disputes are decided again in order, then this one; the re-read is the embedded grader's, as in interviews."""
    rubric = _rubric(body, bank)

    def run() -> tuple[list[DisputeDecision], Scorecard]:
        return contest(embedded, rubric, body.answer, grader.grade(rubric, body.answer), body.disputes)

    decisions, card = interviews.budget.run(run, "a dispute")
    d = decisions[-1]
    return {"criterion_id": body.criterion_id, "reason": body.reason, "decision": d.decision,
            "old_level": d.old_level, "new_level": d.new_level, "explanation": d.explanation, "checked": d.checked,
            "scorecard": _with_warnings(body, card.to_dict())}
