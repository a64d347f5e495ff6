"""Rate limits: per address, per candidate token and on expensive calls; 429 with Retry-After; shared via Redis."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import TOKEN_HEADER
from tests.app.api.test_hardening import assert_hardened, make_client

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_skip(request: pytest.FixtureRequest) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception as exc:  # any client error means no server
        from tests.conftest import skip_or_fail

        skip_or_fail(request, f"Redis unreachable at {REDIS_URL}: {exc.__class__.__name__}")


def _client(tmp_path: Path, name: str, **settings: Any) -> TestClient:
    return make_client(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / name, **settings)


def test_the_candidate_limit_is_a_429_with_retry_after(tmp_path: Path) -> None:
    c = _client(tmp_path, "a", rate_limit_candidate="3/minute")
    try:
        mine, theirs = {TOKEN_HEADER: "token-one"}, {TOKEN_HEADER: "token-two"}
        assert all(c.get("/api/questions", headers=mine).status_code == 200 for _ in range(3))
        r = c.get("/api/questions", headers=mine)
        assert_hardened(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert c.get("/api/questions", headers=theirs).status_code == 200  # another candidate is unaffected
        assert c.get("/healthz").status_code == 200  # only /api is limited
    finally:
        c.__exit__(None, None, None)


def test_the_address_limit_covers_every_token(tmp_path: Path) -> None:
    c = _client(tmp_path, "a", rate_limit_address="4/minute")
    try:
        codes = [c.get("/api/questions", headers={TOKEN_HEADER: f"t{i}"}).status_code for i in range(6)]
        assert codes == [200] * 4 + [429] * 2
    finally:
        c.__exit__(None, None, None)


def test_expensive_calls_have_their_own_lower_limit(tmp_path: Path) -> None:
    c = _client(tmp_path, "a", rate_limit_expensive="2/minute")
    try:
        ask = [c.post("/api/guide/ask", json={"question": "When should I use RAG?"}).status_code for _ in range(3)]
        assert ask == [200, 200, 429]
        assert c.get("/api/questions").status_code == 200  # cheap reads still pass
    finally:
        c.__exit__(None, None, None)


def test_two_app_processes_sharing_redis_share_the_limits(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    _redis_or_skip(request)
    shared = {"redis_url": REDIS_URL, "redis_prefix": f"test-{secrets.token_hex(6)}",
              "rate_limit_candidate": "4/minute"}
    a, b = _client(tmp_path, "a", **shared), _client(tmp_path, "b", **shared)
    try:
        h = {TOKEN_HEADER: "shared-token"}
        assert [a.get("/api/questions", headers=h).status_code for _ in range(2)] == [200, 200]
        assert [b.get("/api/questions", headers=h).status_code for _ in range(2)] == [200, 200]
        assert_hardened(a.get("/api/questions", headers=h), 429, "rate_limited")
        assert_hardened(b.get("/api/questions", headers=h), 429, "rate_limited")
    finally:
        a.__exit__(None, None, None)
        b.__exit__(None, None, None)


def test_an_unreachable_redis_fails_open(tmp_path: Path) -> None:
    c = _client(tmp_path, "a", redis_url="redis://127.0.0.1:1/0", rate_limit_candidate="1/minute")
    try:
        assert [c.get("/api/questions", headers={TOKEN_HEADER: "t"}).status_code for _ in range(3)] == [200] * 3
    finally:
        c.__exit__(None, None, None)
