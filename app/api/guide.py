"""Guide routes: ask a question, list and read sections. Thin: the logic lives in rag/."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from app.api.deps import AnswererDep, IndexDep
from app.api.schemas import AskRequest, AskResponse, SectionOut, SectionSummary

router = APIRouter(prefix="/api/guide", tags=["guide"])


@router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)
async def ask(body: AskRequest, answerer: AnswererDep) -> AskResponse:
    # Embedding is CPU-bound; the thread pool keeps the event loop free for other requests.
    result = await run_in_threadpool(answerer.answer, body.question)
    return AskResponse.model_validate(asdict(result))


@router.get("/sections", response_model=list[SectionSummary])
def sections(index: IndexDep) -> list[SectionSummary]:
    return [SectionSummary(id=s.id, title=s.title, competencies=list(s.competencies), words=s.word_count)
            for s in index.sections.values()]


@router.get("/sections/{section_id}", response_model=SectionOut)
def section(section_id: str, index: IndexDep) -> SectionOut:
    s = index.section(section_id)
    return SectionOut(id=s.id, title=s.title, competencies=list(s.competencies), words=s.word_count, text=s.body)
