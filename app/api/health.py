"""Liveness, readiness (each dependency reported on its own) and the Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from app.api.deps import RuntimeDep
from app.db import check_database
from app.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    """What /readyz reports (the same body with 503 while starting or failed)."""

    model_config = ConfigDict(extra="allow")

    status: str  # ready | starting | failed
    checks: dict[str, bool]
    dependencies: dict[str, str]
    error: str | None = None
    ready_after_seconds: float | None = None
    llm: dict[str, Any] | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _probe(name: str, check: object) -> bool:
    """Run one dependency check; any error means "not ready", with the details in the log only."""
    try:
        result = check() if callable(check) else check
        return result is not False
    except Exception:
        log.warning("readiness check %s failed", name, exc_info=True)
        return False


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "not ready"}})
def readyz(rt: RuntimeDep, request: Request) -> JSONResponse:
    """200 when every dependency answers: the database, the vector store (Chroma files or server), Redis when
    REDIS_URL is set, and the guide index with the components built on it."""
    s = rt.settings
    checks = {"index": rt.ready, "database": _probe("database", lambda: check_database(rt.engine))}
    index = rt.index
    checks["vector_store"] = index is not None and _probe("vector_store", lambda: index.retriever.store.count() >= 0)
    if s.redis_url:
        limits = getattr(request.app.state, "limits", None)
        checks["redis"] = limits is not None and _probe("redis", limits.storage.check)
    ok = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ok else "starting", "checks": checks,
                               "dependencies": {"database": rt.engine.dialect.name,
                                                "vector_store": f"chroma server {s.chroma_host}:{s.chroma_port}"
                                                if s.chroma_host else "chroma files",
                                                "redis": "configured" if s.redis_url else "not configured"}}
    if rt.error:
        body["status"], body["error"] = "failed", rt.error
    if rt.ready_after is not None:
        body["ready_after_seconds"] = round(rt.ready_after, 3)
    if s.uses_llm:  # a failing provider degrades answers; it never makes the app unready
        body["llm"] = {"models": {r: s.model_for(r) or "embedded" for r in ("interviewer", "judge", "answerer")},
                       "grader_mode": s.grader_mode, **rt.telemetry.stats()}
    return JSONResponse(status_code=200 if ok else 503, content=body)


@router.get("/metrics", include_in_schema=False)
def metrics(rt: RuntimeDep) -> Response:
    """Prometheus text format; with PROMETHEUS_MULTIPROC_DIR, the sum over every worker process."""
    s = rt.settings
    body = rt.metrics.render(s.prometheus_multiproc_dir, rt.telemetry.stats() if s.uses_llm else None)
    return Response(body, media_type=CONTENT_TYPE)
