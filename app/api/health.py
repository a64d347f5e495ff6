"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import RuntimeDep
from app.db import check_database

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(rt: RuntimeDep) -> JSONResponse:
    checks = {"index": rt.ready, "database": True}
    try:
        check_database(rt.engine)
    except Exception:  # any driver error means "not ready"; the details go to the log
        checks["database"] = False
    ok = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ok else "starting", "checks": checks}
    if rt.error:
        body["status"], body["error"] = "failed", rt.error
    if rt.ready_after is not None:
        body["ready_after_seconds"] = round(rt.ready_after, 3)
    if rt.settings.uses_llm:  # a failing provider degrades answers; it never makes the app unready
        from app.llm import stats

        s = rt.settings
        body["llm"] = {"models": {r: s.model_for(r) or "embedded" for r in ("interviewer", "judge", "answerer")},
                       "grader_mode": s.grader_mode, **stats()}
    return JSONResponse(status_code=200 if ok else 503, content=body)
