"""Interview routes: thin wrappers over InterviewService. Errors map to HTTP in app/errors.py."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import Response

from app.api.deps import CandidateDep, InterviewsDep, get_or_issue_candidate
from app.api.interview_models import (
    DisputeResult,
    ExemplarOut,
    InterviewOut,
    InterviewSummary,
    MessageResult,
    ScorecardOut,
    errors,
)
from app.api.schemas import DisputeIn, MessageIn, StartInterview
from app.interview.export import to_json, to_markdown

router = APIRouter(prefix="/api/interviews", tags=["interviews"])
# Every route can be refused before it runs: rate limits (429), cross-site checks (403), body limits (413/408).
COMMON = (403, 408, 413, 422, 429, 500, 503)
SessionId = Path(max_length=64, description="the interview's id (32 hex characters)")
# Letters, digits and a little punctuation: a UUID or any client-made token up to 64 characters.
IDEMPOTENCY = r"^[A-Za-z0-9_.:\-]{1,64}$"


@router.post("", status_code=201, response_model=InterviewOut, responses=errors(404, *COMMON))
def start(request: Request, response: Response, candidate: CandidateDep, interviews: InterviewsDep,
          body: StartInterview = Body(default_factory=StartInterview)) -> dict[str, Any]:
    """Start an interview. The question is chosen first, so a refused start creates no candidate."""
    q = interviews.choose_question(candidate, body.question_id, body.type.value if body.type else None,
                                   body.level.value if body.level else None)
    if candidate is None:
        candidate = get_or_issue_candidate(request, response, interviews)
    return interviews.start(candidate, q.id)


@router.get("", response_model=list[InterviewSummary], responses=errors(*COMMON))
def list_interviews(candidate: CandidateDep, interviews: InterviewsDep,
                    limit: int = Query(default=50, ge=1, le=100), offset: int = Query(default=0, ge=0, le=100_000),
                    ) -> list[dict[str, Any]]:
    """One page of your interviews, newest first."""
    return interviews.list_interviews(candidate, limit, offset)


@router.get("/{session_id}", response_model=InterviewOut, responses=errors(404, *COMMON))
def get_interview(candidate: CandidateDep, interviews: InterviewsDep, session_id: str = SessionId) -> dict[str, Any]:
    return interviews.get(candidate, session_id)


@router.post("/{session_id}/messages", response_model=MessageResult, responses=errors(404, 409, *COMMON))
def post_message(body: MessageIn, candidate: CandidateDep, interviews: InterviewsDep, session_id: str = SessionId,
                 idempotency_key: str | None = Header(default=None, pattern=IDEMPOTENCY,
                                                      description="retry-safe: a repeat returns the stored result"),
                 ) -> dict[str, Any]:
    return interviews.post_message(candidate, session_id, body.text, idempotency_key)


@router.post("/{session_id}/grade", response_model=ScorecardOut, responses=errors(404, 409, *COMMON))
def grade(candidate: CandidateDep, interviews: InterviewsDep, session_id: str = SessionId) -> dict[str, Any]:
    return interviews.grade(candidate, session_id)


@router.get("/{session_id}/exemplar", response_model=ExemplarOut, responses=errors(404, 409, *COMMON))
def exemplar(candidate: CandidateDep, interviews: InterviewsDep, session_id: str = SessionId) -> dict[str, Any]:
    return interviews.exemplar(candidate, session_id)


@router.post("/{session_id}/disputes", status_code=201, response_model=DisputeResult,
             responses=errors(404, 409, *COMMON))
def dispute(body: DisputeIn, candidate: CandidateDep, interviews: InterviewsDep,
            session_id: str = SessionId) -> dict[str, Any]:
    return interviews.dispute(candidate, session_id, body.criterion_id, body.reason)


@router.get("/{session_id}/export", response_class=Response, responses={
    200: {"content": {"text/markdown": {"schema": {"type": "string"}},
                      "application/json": {"schema": {"$ref": "#/components/schemas/InterviewOut"}}},
          "description": "the transcript and scorecard as a download"}, **errors(404, *COMMON)})
def export(candidate: CandidateDep, interviews: InterviewsDep, session_id: str = SessionId,
           format: Literal["md", "json"] = Query(default="md")) -> Response:
    view = interviews.get(candidate, session_id)
    if format == "json":
        body, media = to_json(view), "application/json"
    else:
        body, media = to_markdown(view), "text/markdown; charset=utf-8"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="interview-{session_id}.{format}"'})

