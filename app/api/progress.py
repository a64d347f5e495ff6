"""Progress: mastery per competency over time, the weakest areas, history and the next best question."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import CandidateDep, InterviewsDep

router = APIRouter(prefix="/api", tags=["progress"])


@router.get("/progress")
def progress(candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.progress(candidate)
