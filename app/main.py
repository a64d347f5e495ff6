"""The FastAPI application: create_app() wires settings, runtime, routes, error handlers and the frontend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import routers
from app.errors import error_body, install_error_handlers
from app.runtime import Runtime, build_runtime, start_loading
from app.settings import ROOT, Settings, get_settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
FRONTEND_DIR = ROOT / "frontend"
# No inline scripts or styles anywhere; candidate and model text is inserted as text, never HTML.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


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
        rt.engine.dispose()

    app = FastAPI(title="casewise", version=__version__, lifespan=lifespan,
                  description="Mock AI-PM interviews and cited answers from the guide.")
    app.state.runtime = rt
    install_error_handlers(app)

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(status_code=413, content=error_body(
                "payload_too_large", f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}"))
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    for r in routers:
        app.include_router(r)
    if FRONTEND_DIR.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend")
    return app
