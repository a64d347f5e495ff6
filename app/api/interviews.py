"""Interview routes: thin wrappers over InterviewService. Errors map to HTTP in app/errors.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response, StreamingResponse

from app.api.deps import CandidateDep, InterviewsDep
from app.api.schemas import DisputeIn, MessageIn, StartInterview
from app.interview.export import to_json, to_markdown

router = APIRouter(prefix="/api/interviews", tags=["interviews"])


@router.post("", status_code=201)
def start(candidate: CandidateDep, interviews: InterviewsDep,
          body: StartInterview = Body(default_factory=StartInterview)) -> dict[str, Any]:
    return interviews.start(candidate, body.question_id, body.type.value if body.type else None,
                            body.level.value if body.level else None)


@router.get("")
def list_interviews(candidate: CandidateDep, interviews: InterviewsDep) -> list[dict[str, Any]]:
    return interviews.list_interviews(candidate)


@router.get("/{session_id}")
def get_interview(session_id: str, candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.get(candidate, session_id)


@router.post("/{session_id}/messages")
def post_message(session_id: str, body: MessageIn, candidate: CandidateDep,
                 interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.post_message(candidate, session_id, body.text)


@router.post("/{session_id}/grade")
def grade(session_id: str, candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.grade(candidate, session_id)


@router.get("/{session_id}/exemplar")
def exemplar(session_id: str, candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.exemplar(candidate, session_id)


@router.post("/{session_id}/disputes", status_code=201)
def dispute(session_id: str, body: DisputeIn, candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.dispute(candidate, session_id, body.criterion_id, body.reason)


@router.get("/{session_id}/export")
def export(session_id: str, candidate: CandidateDep, interviews: InterviewsDep,
           format: Literal["md", "json"] = Query(default="md")) -> Response:
    view = interviews.get(candidate, session_id)
    if format == "json":
        body, media = to_json(view), "application/json"
    else:
        body, media = to_markdown(view), "text/markdown; charset=utf-8"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="interview-{session_id}.{format}"'})


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/{session_id}/stream")
def stream(session_id: str, candidate: CandidateDep, interviews: InterviewsDep,
           after: int | None = Query(default=None, ge=0)) -> StreamingResponse:
    """Server-sent events for the interviewer's messages after turn `after`: `delta` chunks, then `message`.

    The embedded interviewer's messages are complete when stored, and are streamed in word chunks so the
    UI has one rendering path for them and for a streaming LLM interviewer.
    """
    messages = interviews.turns_after(candidate, session_id, after)

    def events() -> Iterator[str]:
        for m in messages:
            words = m["text"].split(" ")
            for i in range(0, len(words), 4):
                chunk = " ".join(words[i:i + 4]) + (" " if i + 4 < len(words) else "")
                yield _sse("delta", {"id": m["id"], "kind": m["kind"], "text": chunk})
            yield _sse("message", m)
        yield _sse("done", {"last_id": messages[-1]["id"] if messages else after})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
