"""The one ASGI middleware every HTTP request passes through first (README "Security").

In order, it:
- gives the request an id (a proxy's well-formed `X-Request-ID`, else a new one), returned in `X-Request-ID`,
  put on every log record made while serving it (app/logs.py) and quoted in 500 bodies;
- refuses cross-site state changes: a foreign `Origin`, or a POST that is neither JSON nor carries a custom
  header (a plain HTML form can do neither), gets a 403;
- applies the rate limits (429 with Retry-After);
- counts body bytes while they stream and stops at the limit with a 413, whatever Content-Length says, and
  gives each body chunk a read deadline (408);
- turns any exception that escaped the routes into the JSON error shape, logged with the request id;
- puts the security headers on every response, errors included, `no-store` on the API, and drops `server`;
- observes each request's latency by route template, and counts rate-limit refusals, for /metrics.

It is plain ASGI rather than BaseHTTPMiddleware so that it can see the body as it arrives and wrap responses
that Starlette's own 500 handler would otherwise send without headers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.logs import request_id_var
from app.metrics import Metrics
from app.ratelimit import RateLimits
from app.settings import Settings

log = logging.getLogger(__name__)

# No inline scripts or styles anywhere; candidate and model text is inserted as text, never HTML.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# FastAPI's Swagger page (only with DOCS_ENABLED) loads its assets from jsDelivr and starts with an inline script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Any of these makes a request "non-simple": a cross-site form cannot send it without a CORS preflight.
CUSTOM_HEADERS = ("x-requested-with", "x-candidate-token", "idempotency-key")
TOKEN_HEADER = "x-candidate-token"
TOKEN_COOKIE = "casewise_token"
# A request id a proxy may set for us (nginx's $request_id is 32 hex digits); anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class Guard:
    def __init__(self, app: ASGIApp, settings: Settings, limits: RateLimits, metrics: Metrics | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limits = limits
        self.metrics = metrics
        self.trusted = {o.strip().rstrip("/").lower() for o in settings.trusted_origins.split(",") if o.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        id_token = request_id_var.set(request_id)
        path: str = scope["path"]
        started = False
        status = 500
        t0 = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                if "server" in headers:
                    del headers["server"]
                headers["x-request-id"] = request_id
                docs = self.settings.docs_enabled and path in ("/docs", "/docs/oauth2-redirect")
                headers.setdefault("content-security-policy", DOCS_CSP if docs else CSP)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if path.startswith("/api/") or path == "/openapi.json":
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            refusal = self._refuse(scope)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
            await self.app(scope, self._bounded(receive), send_with_headers)
        except HTTPException as exc:  # raised by the bounded receive outside FastAPI's own body parsing
            if not started:
                await error_response(exc.status_code, "payload_too_large" if exc.status_code == 413
                                     else "request_timeout", str(exc.detail))(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error in %s %s [request %s]", scope.get("method"), path, request_id)
            if started:  # the status line is out; all that is left is to end the connection
                return
            response = error_response(500, "internal_error",
                                      f"something went wrong on our side; quote request id {request_id}")
            await response(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(id_token)
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], route_label(scope), status, time.perf_counter() - t0)

    def _refuse(self, scope: Scope) -> ASGIApp | None:
        """A response that refuses the request before any route runs, or None to let it through."""
        headers = Headers(scope=scope)
        method: str = scope["method"]
        path: str = scope["path"]
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.settings.max_body_bytes:
            return error_response(413, "payload_too_large",
                                  f"request body is {length} bytes; the limit is {self.settings.max_body_bytes}")
        if method in UNSAFE_METHODS and path.startswith("/api/"):
            why = self._csrf(headers)
            if why:
                return error_response(403, "forbidden", why)
        if path.startswith("/api/"):
            client = scope.get("client")
            token = headers.get(TOKEN_HEADER) or _cookie(headers, TOKEN_COOKIE)
            refused = self.limits.check(method, path, client[0] if client else "unknown", token)
            if refused is not None:
                if self.metrics is not None:
                    self.metrics.rate_limited.labels(refused.scope).inc()
                return error_response(429, "rate_limited",
                                      f"too many requests ({refused.limit} per {refused.scope}); retry in "
                                      f"{refused.retry_after} s", headers={"Retry-After": str(refused.retry_after)})
        return None

    def _csrf(self, headers: Headers) -> str | None:
        origin = headers.get("origin")
        if origin is not None:
            normalized = origin.strip().rstrip("/").lower()
            host = (headers.get("host") or "").lower()
            if urlsplit(normalized).netloc != host and normalized not in self.trusted:
                return f"cross-origin request from {origin!r} refused"
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json" and not any(h in headers for h in CUSTOM_HEADERS):
            return ("state-changing requests need Content-Type: application/json or an X-Requested-With header")
        return None

    def _bounded(self, receive: Receive) -> Receive:
        """receive() that counts body bytes and gives each chunk a deadline until the body is complete."""
        limit, timeout = self.settings.max_body_bytes, self.settings.body_timeout
        total, done = 0, False

        async def bounded() -> Message:
            nonlocal total, done
            if done:  # after the body only http.disconnect is left, which streaming responses wait on freely
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                raise HTTPException(408, f"the request body stalled for more than {timeout:g} s") from None
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > limit:
                    raise HTTPException(413, f"request body is over the limit of {limit} bytes")
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        return bounded


def route_label(scope: Scope) -> str:
    """The matched route's template (`/api/interviews/{session_id}/grade`), never the raw path, so ids do not
    multiply the series; the static frontend is one label and anything unmatched another."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    return "static" if route is not None else "unmatched"


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value or None
    return None
