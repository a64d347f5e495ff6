"""The one place where domain errors become HTTP responses.

Each package keeps its own small hierarchy (app/content, app/interview, app/grading, app/llm, rag/errors.py, and
the app-level errors below); `STATUS` maps every one of them to a status and a code, and one handler answers for
all of them, using the nearest class in the error's MRO. Every error body has the same shape,
{"error": {"code", "message"}}, so clients parse one thing. Client input never produces a 5xx: validation problems
are 4xx with a message naming the field.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.budget import BudgetExceeded
from app.content.errors import ContentError, QuestionNotFound
from app.grading.errors import GradingError, InvalidRubric, NothingToContest, UnknownCriterion
from app.interview.errors import (
    CriterionNotFound,
    GradingFailed,
    InterviewError,
    NotGradedYet,
    NothingToGrade,
    QuotaExceeded,
    SessionFinished,
    SessionNotFound,
    StateConflict,
)
from rag.errors import EmbedderUnavailable, RagError, SectionNotFound, StoreUnavailable

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base for errors raised by the app layer itself (not by one of its packages)."""


class NotReady(AppError):
    """The model or the index is still loading."""


class RateLimited(AppError):
    """A rate limit (per address or per candidate) is spent; Retry-After says when the window frees up."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Mapped(NamedTuple):
    status: int
    code: str
    retry_after: int | None = None  # a Retry-After for errors that carry none of their own


STATUS: dict[type[Exception], Mapped] = {
    # app
    AppError: Mapped(500, "internal_error"),
    NotReady: Mapped(503, "not_ready"),
    RateLimited: Mapped(429, "rate_limited"),
    BudgetExceeded: Mapped(503, "grading_timeout", retry_after=5),
    # content
    ContentError: Mapped(500, "content_error"),
    QuestionNotFound: Mapped(404, "not_found"),
    # interview
    InterviewError: Mapped(400, "bad_request"),
    SessionNotFound: Mapped(404, "not_found"),
    CriterionNotFound: Mapped(404, "not_found"),
    SessionFinished: Mapped(409, "conflict"),
    NothingToGrade: Mapped(409, "conflict"),
    NotGradedYet: Mapped(409, "conflict"),
    StateConflict: Mapped(409, "conflict"),
    GradingFailed: Mapped(503, "grading_failed"),
    QuotaExceeded: Mapped(429, "quota_exceeded"),
    # grading
    GradingError: Mapped(500, "grading_error"),
    InvalidRubric: Mapped(422, "invalid_rubric"),
    UnknownCriterion: Mapped(404, "not_found"),
    NothingToContest: Mapped(409, "conflict"),
    # rag
    RagError: Mapped(500, "retrieval_error"),
    SectionNotFound: Mapped(404, "not_found"),
    StoreUnavailable: Mapped(503, "retrieval_unavailable"),
    EmbedderUnavailable: Mapped(503, "retrieval_unavailable"),
}


def mapped(exc: BaseException) -> Mapped:
    """The status and code of an error: the entry of the nearest class in its MRO (a 500 for anything else)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return Mapped(500, "internal_error")


def statuses(*errors: type[Exception]) -> list[int]:
    """The statuses these errors can answer with, for documenting a route's responses."""
    return sorted({STATUS[e].status for e in errors})


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one JSON error shape, for middleware that answers before any route (413, 403, 429, 500)."""
    return JSONResponse(status_code=status, content=error_body(code, message), headers=headers)


def _field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _validation_message(exc: RequestValidationError) -> str:
    msgs = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        if err.get("type") == "missing" and tuple(err.get("loc", ())) == ("body",):
            return "request body is required (JSON)"
        if err.get("type") == "model_attributes_type":
            return "request body must be a JSON object"
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        msgs.append(f"{_field(tuple(err.get('loc', ())))}: {msg}")
    return "; ".join(msgs) or "invalid request"


def domain_response(exc: Exception) -> JSONResponse:
    """The response for any mapped domain error; server-side faults (5xx) are logged."""
    m = mapped(exc)
    if m.status >= 500:
        log.error("%s: %s", m.code, exc)
    seconds = getattr(exc, "retry_after", None)
    seconds = m.retry_after if seconds is None else seconds
    headers = {"Retry-After": str(max(1, int(seconds)))} if seconds is not None else None
    return error_response(m.status, m.code, str(exc), headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=error_body("invalid_request", _validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
                413: "payload_too_large"}.get(exc.status_code, "error")
        return JSONResponse(status_code=exc.status_code, content=error_body(code, str(exc.detail)),
                            headers=getattr(exc, "headers", None))

    async def _domain(_: Request, exc: Exception) -> JSONResponse:
        return domain_response(exc)

    for exc_type in STATUS:
        app.add_exception_handler(exc_type, _domain)
