"""Interviews end to end, as one dependency for the routes: three small services behind a thin façade.

- `ConversationService` (conversation.py): starting, messages, the interviewer's replies, reading sessions;
- `GradingService` (grading_service.py): grading, disputes, the strong answer;
- `ProgressService` (progress_service.py): mastery, history and the next question to practise.
They share `Access` (access.py): the engine, the bank and the ownership check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from app.budget import GradingBudget
from app.content import Question, QuestionBank
from app.grading import EmbeddedGrader
from app.interview.access import Access
from app.interview.conversation import ConversationService
from app.interview.flow import InterviewFlow
from app.interview.grading_service import GradingService
from app.interview.progress_service import ProgressService
from app.interview.quotas import Quotas


class InterviewService:
    def __init__(self, engine: Engine, bank: QuestionBank, flow: InterviewFlow, grader: EmbeddedGrader,
                 quotas: Quotas | None = None, budget: GradingBudget | None = None) -> None:
        self.access = Access(engine, bank)
        self.flow = flow
        self.grader = grader
        self.quotas = quotas or Quotas()
        self.budget = budget or GradingBudget(20.0)
        self.conversation = ConversationService(self.access, flow, self.quotas, self.budget)
        self.grading = GradingService(self.access, flow, grader, self.quotas, self.budget)
        self.tracker = ProgressService(self.access)

    @property
    def engine(self) -> Engine:
        return self.access.engine

    @property
    def bank(self) -> QuestionBank:
        return self.access.bank

    def candidate(self, token: str | None) -> tuple[str, str | None]:
        return self.access.candidate(token)

    def find_candidate(self, token: str | None) -> str | None:
        return self.access.find_candidate(token)

    def choose_question(self, candidate_id: str | None, question_id: str | None, qtype: str | None,
                        level: str | None) -> Question:
        return self.tracker.choose_question(candidate_id, question_id, qtype, level)

    def start(self, candidate_id: str, question_id: str | None = None, qtype: str | None = None,
              level: str | None = None) -> dict[str, Any]:
        q = self.choose_question(candidate_id, question_id, qtype, level)
        return self.conversation.start(candidate_id, q)

    def post_message(self, candidate_id: str | None, session_id: str, text: str,
                     idempotency_key: str | None = None) -> dict[str, Any]:
        return self.conversation.post_message(candidate_id, session_id, text, idempotency_key)

    def get(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        return self.conversation.get(candidate_id, session_id)

    def list_interviews(self, candidate_id: str | None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        return self.conversation.list_interviews(candidate_id, limit, offset)

    def grade(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        return self.grading.grade(candidate_id, session_id)

    def exemplar(self, candidate_id: str | None, session_id: str) -> dict[str, Any]:
        return self.grading.exemplar(candidate_id, session_id)

    def dispute(self, candidate_id: str | None, session_id: str, criterion_id: str, reason: str) -> dict[str, Any]:
        return self.grading.dispute(candidate_id, session_id, criterion_id, reason)

    def progress(self, candidate_id: str | None) -> dict[str, Any]:
        return self.tracker.progress(candidate_id)
