"""The FastAPI application: create_app() wires settings, runtime, routes, error handlers and the frontend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import routers
from app.api.interview_models import errors
from app.errors import install_error_handlers
from app.middleware import CSP, Guard
from app.ratelimit import RateLimits
from app.runtime import Runtime, build_runtime, start_loading
from app.settings import ROOT, Settings, get_settings

log = logging.getLogger(__name__)

FRONTEND_DIR = ROOT / "frontend"
__all__ = ["CSP", "create_app"]


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               **loader_overrides: Any) -> FastAPI:
    """Build the app. Tests pass their own Settings, or a Runtime, and fake embedder/store/answerer."""
    settings = settings or get_settings()
    rt = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not rt.ready and rt._thread is None:
            start_loading(rt, **loader_overrides)
        yield
        if rt.interviews is not None:
            rt.interviews.budget.shutdown()
        rt.engine.dispose()

    # /openapi.json stays public (it describes a public API); the interactive page is opt-in.
    # The statuses the middleware and the error handlers can answer on any route are documented on all of them.
    app = FastAPI(title="casewise", version=__version__, lifespan=lifespan,
                  responses=errors(403, 404, 408, 413, 422, 429, 500, 503),
                  docs_url="/docs" if settings.docs_enabled else None, redoc_url=None,
                  description="Mock AI-PM interviews and cited answers from the guide.")
    app.state.runtime = rt
    app.state.limits = RateLimits(settings)
    install_error_handlers(app)
    app.add_middleware(Guard, settings=settings, limits=app.state.limits, metrics=rt.metrics)

    for r in routers:
        app.include_router(r)
    if FRONTEND_DIR.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend")
    return app
