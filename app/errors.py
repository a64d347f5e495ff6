"""The one place where domain errors become HTTP responses.

Every error body has the same shape, {"error": {"code", "message"}}, so clients parse one thing. Client input
never produces a 5xx: validation problems are 4xx with a message naming the field.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.budget import BudgetExceeded
from app.content.errors import ContentError
from app.grading.errors import InvalidRubric
from app.interview.errors import (
    CriterionNotFound,
    GradingFailed,
    InterviewError,
    NotGradedYet,
    NothingToGrade,
    QuestionNotFound,
    QuotaExceeded,
    SessionFinished,
    SessionNotFound,
    StateConflict,
)
from rag.errors import EmbedderUnavailable, RagError, SectionNotFound, StoreUnavailable

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base for errors raised by the app layer itself."""

    status = 500
    code = "internal_error"


class NotReady(AppError):
    """The model or the index is still loading."""

    status = 503
    code = "not_ready"


class NotFound(AppError):
    status = 404
    code = "not_found"


class RateLimited(AppError):
    """A rate limit (per address or per candidate) is spent; Retry-After says when the window frees up."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one JSON error shape, for middleware that answers before any route (413, 403, 429, 500)."""
    return JSONResponse(status_code=status, content=error_body(code, message), headers=headers)


def _retry_after(exc: Exception) -> dict[str, str] | None:
    seconds = getattr(exc, "retry_after", None)
    return {"Retry-After": str(max(1, int(seconds)))} if seconds is not None else None


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

    @app.exception_handler(AppError)
    async def _app(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=error_body(exc.code, str(exc)), headers=_retry_after(exc))

    @app.exception_handler(BudgetExceeded)
    async def _budget(_: Request, exc: BudgetExceeded) -> JSONResponse:
        return JSONResponse(status_code=503, content=error_body("grading_timeout", str(exc)),
                            headers={"Retry-After": "5"})

    interview_status: dict[type[Exception], tuple[int, str]] = {
        SessionNotFound: (404, "not_found"), QuestionNotFound: (404, "not_found"),
        CriterionNotFound: (404, "not_found"), SessionFinished: (409, "conflict"),
        NothingToGrade: (409, "conflict"), NotGradedYet: (409, "conflict"), InvalidRubric: (422, "invalid_rubric"),
        GradingFailed: (503, "grading_failed"), StateConflict: (409, "conflict"),
        QuotaExceeded: (429, "quota_exceeded"),
    }

    async def _interview(_: Request, exc: Exception) -> JSONResponse:
        status, code = interview_status.get(type(exc), (400, "bad_request"))
        return JSONResponse(status_code=status, content=error_body(code, str(exc)), headers=_retry_after(exc))

    for exc_type in (*interview_status, InterviewError):
        app.add_exception_handler(exc_type, _interview)

    @app.exception_handler(SectionNotFound)
    async def _section(_: Request, exc: SectionNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content=error_body("not_found", str(exc)))

    @app.exception_handler(RagError)
    async def _rag(_: Request, exc: RagError) -> JSONResponse:
        unavailable = isinstance(exc, (StoreUnavailable, EmbedderUnavailable))
        log.error("retrieval error: %s", exc)
        return JSONResponse(status_code=503 if unavailable else 500,
                            content=error_body("retrieval_unavailable" if unavailable else "retrieval_error", str(exc)))

    @app.exception_handler(ContentError)
    async def _content(_: Request, exc: ContentError) -> JSONResponse:
        log.error("content error: %s", exc)
        return JSONResponse(status_code=500, content=error_body("content_error", str(exc)))
