"""Rate limits per client address and per candidate token, with the `limits` library.

Storage is Redis when REDIS_URL is set, so every app process counts against the same windows, and memory
otherwise. The moving-window strategy has no burst at a window boundary. A storage failure lets the request
through and logs it: a Redis outage should slow nothing down, and the per-session quotas in the database
still bound what one candidate can store.

Limits are checked before any route runs, so a refused request costs one storage round trip and no database
or CPU work. Quotas that need the database (sessions per day, turns and characters per session, disputes)
live in the interview service instead.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.settings import Settings

log = logging.getLogger(__name__)

# Requests that grade or retrieve: each costs tens to hundreds of milliseconds of CPU.
EXPENSIVE_SUFFIXES = ("/grade", "/disputes", "/api/guide/ask", "/api/guide/ask/stream")


@dataclass(frozen=True)
class Refusal:
    """Which limit refused the request, and in how many seconds its window frees a slot."""

    scope: str
    limit: str
    retry_after: int


def make_storage(settings: Settings) -> Storage:
    uri = settings.redis_url or "memory://"
    extra = {"key_prefix": f"{settings.redis_prefix}:limits"} if settings.redis_url else {}
    storage = storage_from_string(uri, **extra)
    if not isinstance(storage, Storage):  # a synchronous URI scheme never yields the asyncio storage
        raise TypeError(f"rate-limit storage {uri.split(':', 1)[0]!r} is not synchronous")
    return storage


def candidate_key(token: str) -> str:
    """Limits key on a hash of the token: Redis never holds a bearer token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def is_expensive(method: str, path: str) -> bool:
    return method == "POST" and (path == "/api/grade" or path.endswith(EXPENSIVE_SUFFIXES))


class RateLimits:
    """The configured limits over one storage; `check` hits every limit that applies to a request."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or make_storage(settings)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.address = self._parse(settings.rate_limit_address)
        self.candidate = self._parse(settings.rate_limit_candidate)
        self.expensive = self._parse(settings.rate_limit_expensive)
        self.refused = 0  # counted here, on the object the app owns, for logs and a future /metrics

    @staticmethod
    def _parse(spec: str) -> list[RateLimitItem]:
        return list(parse_many(spec)) if spec else []

    def check(self, method: str, path: str, address: str, token: str | None) -> Refusal | None:
        """Consume one hit on each applicable limit; the first one that is full refuses the request."""
        checks: list[tuple[str, RateLimitItem, str]] = [("address", item, address) for item in self.address]
        if token:
            key = candidate_key(token)
            checks += [("candidate", item, key) for item in self.candidate]
        if is_expensive(method, path):
            checks += [("expensive", item, address) for item in self.expensive]
        try:
            for scope, item, key in checks:
                if not self.limiter.hit(item, scope, key):
                    reset = self.limiter.get_window_stats(item, scope, key).reset_time
                    self.refused += 1
                    return Refusal(scope, str(item), max(1, math.ceil(reset - time.time())))
        except Exception:  # any storage error: fail open (see the module docstring)
            log.warning("rate-limit storage unavailable; letting the request through", exc_info=True)
        return None
