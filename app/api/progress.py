"""Progress: mastery per competency over time, the weakest areas, history and the next best question."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import CandidateDep, InterviewsDep
from app.api.interview_models import ProgressOut, errors

router = APIRouter(prefix="/api", tags=["progress"])


@router.get("/progress", response_model=ProgressOut, responses=errors(403, 429, 500, 503))
def progress(candidate: CandidateDep, interviews: InterviewsDep) -> dict[str, Any]:
    return interviews.progress(candidate)
