"""Question bank routes: list (filtered, without exemplars or rubrics) and fetch one question."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.api.deps import BankDep
from app.api.schemas import QuestionSummary
from app.content import Level, Question, QuestionType
from app.content.errors import QuestionNotFound

router = APIRouter(prefix="/api/questions", tags=["questions"])


def _summary(q: Question) -> QuestionSummary:
    return QuestionSummary(id=q.id, title=q.title, prompt=q.prompt, type=q.type.value, level=q.level.value,
                           competencies=[c.value for c in q.competencies], suggested_minutes=q.suggested_minutes,
                           guide_sections=list(q.guide_sections))


@router.get("", response_model=list[QuestionSummary])
def list_questions(bank: BankDep, type: QuestionType | None = Query(default=None),
                   level: Level | None = Query(default=None)) -> list[QuestionSummary]:
    return [_summary(q) for q in bank if (type is None or q.type == type) and (level is None or q.level == level)]


@router.get("/{question_id}", response_model=QuestionSummary)
def get_question(question_id: str, bank: BankDep) -> QuestionSummary:
    q = bank.get(question_id)
    if q is None:
        raise QuestionNotFound(f"no question with id {question_id!r}")
    return _summary(q)
