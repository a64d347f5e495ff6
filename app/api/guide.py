"""Guide routes: ask a question, the asker's earlier questions, the glossary, and the sections. Thin: the logic
lives in rag/ and app/db/crud.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.api.deps import AnswererDep, CandidateDep, IndexDep, InterviewsDep, RuntimeDep, get_or_issue_candidate
from app.api.schemas import (
    AskRequest,
    AskResponse,
    GlossaryTermOut,
    GuideExchangeOut,
    SectionOut,
    SectionSummary,
)
from app.db import crud
from app.markdown import blocks
from app.runtime import Runtime
from rag.streaming import Delta, StreamEvent, answer_events

router = APIRouter(prefix="/api/guide", tags=["guide"])


@router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)
async def ask(body: AskRequest, request: Request, response: Response, answerer: AnswererDep,
              interviews: InterviewsDep, rt: RuntimeDep) -> AskResponse:
    """Answer (or decline) and keep the exchange in the asker's guide history, so the view survives a reload."""
    # Embedding is CPU-bound; the thread pool keeps the event loop free for other requests.
    result = await run_in_threadpool(answerer.answer, body.question)
    out = AskResponse.model_validate(asdict(result))
    candidate = get_or_issue_candidate(request, response, interviews)
    await run_in_threadpool(_store, rt, candidate, body.question, out)
    return out


def _store(rt: Runtime, candidate: str, question: str, out: AskResponse) -> None:
    """Keep one exchange in the asker's guide history: the answer exactly as it was shown."""
    with Session(rt.engine) as s:
        crud.add_guide_exchange(session=s, candidate_id=candidate, question=question,
                                answer=out.model_dump(exclude_none=True))


# One event of the stream, described as OpenAPI 3.2 (and FastAPI's own SSE routes) do: an `itemSchema` whose
# `data` is a JSON text, a delta's {text} or, for `done`, the AskResponse.
STREAM_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"type": "string", "enum": ["delta", "done"]},
    "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": {"oneOf": [
        {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        {"$ref": "#/components/schemas/AskResponse"}]}}}}


@router.post("/ask/stream", response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {"itemSchema": STREAM_EVENT}},
                              "description": "`delta` events ({\"text\": ...}, the model's unchecked words), "
                                             "then one `done` event whose data is the AskResponse"}})
async def ask_stream(body: AskRequest, request: Request, answerer: AnswererDep, interviews: InterviewsDep,
                     rt: RuntimeDep) -> StreamingResponse:
    """`/ask` as Server-Sent Events: the model's words as it writes them, then `done` with the checked answer
    (the same body `/ask` returns), which the client shows in their place. Retrieval runs before the response
    starts, so its errors map to statuses as they do for `/ask`; after that every failure ends in `done`."""
    events = answer_events(answerer, body.question)
    first = await anext(events)
    issued = Response()
    candidate = get_or_issue_candidate(request, issued, interviews)

    async def sse() -> AsyncIterator[str]:
        event: StreamEvent | None = first
        try:
            while event is not None:
                if isinstance(event, Delta):
                    yield _sse("delta", json.dumps({"text": event.text}))
                else:
                    out = AskResponse.model_validate(asdict(event.answer))
                    await run_in_threadpool(_store, rt, candidate, body.question, out)
                    yield _sse("done", out.model_dump_json(exclude_none=True))
                event = await anext(events, None)
        finally:  # the reader left mid-answer: stop the model now
            await events.aclose()

    # No proxy buffering (nginx honours this header), or the reader sees nothing until `done`; the middleware
    # marks every API response no-store, which covers caches.
    stream = StreamingResponse(sse(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})
    # The candidate token a first question issues (header and cookie), which FastAPI does not copy from an
    # injected Response onto one the route returns.
    stream.raw_headers.extend((k, v) for k, v in issued.raw_headers if k in (b"set-cookie", b"x-candidate-token"))
    return stream


def _sse(event: str, data: str) -> str:
    """One Server-Sent Event; `data` is JSON, which never contains a raw newline."""
    return f"event: {event}\ndata: {data}\n\n"


@router.get("/history", response_model=list[GuideExchangeOut], response_model_exclude_none=True)
def history(candidate: CandidateDep, rt: RuntimeDep) -> list[GuideExchangeOut]:
    """The caller's latest questions to the guide, oldest first; empty for an unknown caller."""
    if candidate is None:
        return []
    with Session(rt.engine) as s:
        rows = crud.list_guide_exchanges(session=s, candidate_id=candidate)
    return [GuideExchangeOut(id=r.id or 0, question=r.question, answer=AskResponse.model_validate(r.answer),
                             created_at=r.created_at.isoformat()) for r in rows]


@router.get("/glossary", response_model=list[GlossaryTermOut])
def glossary(index: IndexDep) -> list[GlossaryTermOut]:
    terms = index.glossary.terms if index.glossary else []
    return [GlossaryTermOut(term=t.term, aliases=list(t.aliases), section_id=t.section_id, title=t.section_title,
                            anchor=t.anchor, sentence=t.sentence) for t in terms]


@router.get("/sections", response_model=list[SectionSummary])
def sections(index: IndexDep) -> list[SectionSummary]:
    return [SectionSummary(id=s.id, title=s.title, competencies=list(s.competencies), words=s.word_count)
            for s in index.sections.values()]


@router.get("/sections/{section_id}", response_model=SectionOut)
def section(section_id: str, index: IndexDep) -> SectionOut:
    s = index.section(section_id)
    return SectionOut(id=s.id, title=s.title, competencies=list(s.competencies), words=s.word_count, text=s.body,
                      blocks=blocks(s.body))
