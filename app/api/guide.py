"""Guide routes: ask a question, the asker's earlier questions, the glossary, and the sections. Thin: the logic
lives in rag/ and app/db/crud.py."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
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

router = APIRouter(prefix="/api/guide", tags=["guide"])


@router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)
async def ask(body: AskRequest, request: Request, response: Response, answerer: AnswererDep,
              interviews: InterviewsDep, rt: RuntimeDep) -> AskResponse:
    """Answer (or decline) and keep the exchange in the asker's guide history, so the view survives a reload."""
    # Embedding is CPU-bound; the thread pool keeps the event loop free for other requests.
    result = await run_in_threadpool(answerer.answer, body.question)
    out = AskResponse.model_validate(asdict(result))
    candidate = get_or_issue_candidate(request, response, interviews)

    def store() -> None:
        with Session(rt.engine) as s:
            crud.add_guide_exchange(session=s, candidate_id=candidate, question=body.question,
                                    answer=out.model_dump(exclude_none=True))

    await run_in_threadpool(store)
    return out


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
