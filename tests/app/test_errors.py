"""One table maps every package's errors to HTTP: the nearest class in an error's MRO decides."""

from __future__ import annotations

from app.budget import BudgetExceeded
from app.content.errors import ContentError, PackValidationError, QuestionNotFound
from app.errors import NotReady, domain_response, mapped
from app.grading import InvalidRubric
from app.interview.errors import InterviewError, NothingToGrade, QuotaExceeded, SessionFinished, SessionNotFound
from rag.errors import RagError, SectionNotFound, StoreUnavailable


def test_each_error_gets_its_own_status_and_code() -> None:
    cases = {QuestionNotFound("q"): (404, "not_found"), SessionNotFound("s"): (404, "not_found"),
             SectionNotFound("x"): (404, "not_found"), SessionFinished("f"): (409, "conflict"),
             NothingToGrade("n"): (409, "conflict"), InvalidRubric("r"): (422, "invalid_rubric"),
             QuotaExceeded("q", 30): (429, "quota_exceeded"), NotReady("n"): (503, "not_ready"),
             StoreUnavailable("s"): (503, "retrieval_unavailable"), PackValidationError(["p"]): (500, "content_error"),
             RagError("r"): (500, "retrieval_error"), InterviewError("i"): (400, "bad_request")}
    for exc, (status, code) in cases.items():
        assert (mapped(exc).status, mapped(exc).code) == (status, code), exc


def test_one_not_found_for_questions_and_it_is_not_a_broken_pack() -> None:
    assert issubclass(QuestionNotFound, ContentError)
    assert mapped(QuestionNotFound("q")).status == 404 and mapped(ContentError("c")).status == 500


def test_retry_after_comes_from_the_error_or_the_table() -> None:
    assert domain_response(QuotaExceeded("spent", retry_after=42)).headers["Retry-After"] == "42"
    assert domain_response(BudgetExceeded("slow")).headers["Retry-After"] == "5"
    assert "retry-after" not in domain_response(SessionNotFound("gone")).headers


def test_anything_unmapped_is_a_500() -> None:
    m = mapped(KeyError("x"))
    assert (m.status, m.code) == (500, "internal_error")
