"""Stateless grading: POST /api/grade with a bank question id or an inline question and rubric."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import BankDep, GraderDep, InterviewsDep
from app.api.interview_models import ScorecardOut, errors
from app.api.schemas import GradeIn
from app.content.errors import QuestionNotFound
from app.grading import InvalidRubric, from_inline, from_question, rubric_warnings

router = APIRouter(prefix="/api", tags=["grading"])


@router.post("/grade", response_model=ScorecardOut, responses=errors(403, 404, 408, 413, 422, 429, 500, 503))
def grade(body: GradeIn, grader: GraderDep, bank: BankDep, interviews: InterviewsDep) -> dict[str, Any]:
    """Grades within the per-request time budget (GRADE_TIME_BUDGET), sharing the interviews' worker pool."""
    if body.question_id:
        q = bank.get(body.question_id)
        if q is None:
            raise QuestionNotFound(f"no question with id {body.question_id!r}")
        rubric = from_question(q)
    elif body.question is None:
        raise InvalidRubric("give question_id, or an inline question with a rubric and/or a reference_answer")
    else:
        rubric = from_inline(body.question, body.rubric, body.reference_answer)
    card = interviews.budget.run(lambda: grader.grade(rubric, body.answer).to_dict())
    warnings: list[str] = [*body.wrapper_warnings, *rubric_warnings(body.rubric)] if body.question_id is None else []
    return {**card, "rubric_warnings": warnings} if warnings else card
