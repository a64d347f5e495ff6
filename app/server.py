"""Serving with uvicorn: no `server` header, and deadlines for slow clients.

uvicorn's keep-alive timeout only starts after a first response, so a client that opens a connection and
sends half a header line could hold it forever (issue M3: 400 such connections for 40 s). The protocol below
closes any connection whose request headers are not complete within HEADER_TIMEOUT. Body reads get their
own deadline in app/middleware.py (BODY_TIMEOUT).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.logs import configure_logging
from app.settings import Settings, get_settings


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol plus a deadline from the first byte of a request (or the connection) to its last header."""

    header_timeout = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._between_requests():
            self._arm()
        super().data_received(data)
        if not self._between_requests():
            self._disarm()  # the headers are in: a request is being served

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()


class WorkerHeaderDeadlineProtocol(HeaderDeadlineProtocol):
    """The same protocol for `--workers` processes, which receive their config pickled: a class made at run time
    cannot travel, so each connection reads HEADER_TIMEOUT from the worker's own Settings instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout


def worker_app() -> Any:
    """The app factory each worker process calls (`app.server:worker_app`): logging, then the whole app, whose
    start-up (migrations, ingestion) runs under the start-up locks, so N workers do the work once."""
    from app.main import create_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def run_workers(settings: Settings) -> None:
    """`python -m app` with WORKERS > 1: uvicorn's supervisor forks WORKERS processes sharing one socket.

    Each worker loads its own embedding model (see the README's capacity note for the memory this costs).
    With PROMETHEUS_MULTIPROC_DIR set, its stale files from a previous run are removed first.
    """
    d = settings.prometheus_multiproc_dir
    if d is not None:
        d.mkdir(parents=True, exist_ok=True)
        for f in d.glob("*.db"):
            f.unlink()
    options = {**_options(settings), "http": WorkerHeaderDeadlineProtocol}
    uvicorn.run("app.server:worker_app", factory=True, workers=settings.workers, **options)


def protocol_for(settings: Settings) -> type[HeaderDeadlineProtocol]:
    return type("ConfiguredHeaderDeadlineProtocol", (HeaderDeadlineProtocol,),
                {"header_timeout": settings.header_timeout})


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The one uvicorn configuration: `python -m app`, the tests and the load benchmark all use it."""
    return uvicorn.Config(app, **{**_options(settings), "http": protocol_for(settings), **overrides})


def _options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host, "port": settings.port, "log_level": settings.log_level.lower(),
        "server_header": False, "timeout_keep_alive": 5, "h11_max_incomplete_event_size": 16_384,
        # Logging is configured once by app/logs.py (text or JSON); uvicorn's own dictConfig would replace it.
        "log_config": None,
    }
