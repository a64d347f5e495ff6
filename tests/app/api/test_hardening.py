"""Hardening over HTTP (issue 12): input hygiene, body and grading limits, CSRF, headers, quotas, idempotency."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.api.deps import TOKEN_COOKIE, TOKEN_HEADER
from app.db.models import Candidate, Turn
from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.settings import ROOT, Settings
from tests.fakes import HashEmbedder, MemoryStore

QID = "support-reply-drafts"
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets.")
SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options", "x-request-id")


def make_client(db_url: str, tmp_path: Path, loader: dict[str, Any] | None = None, **settings: Any) -> TestClient:
    s = Settings(data_dir=tmp_path / "data", database_url=db_url, content_dir=ROOT / "content",
                 _env_file=None, **settings)  # type: ignore[call-arg]
    rt = build_runtime(s)
    c = TestClient(create_app(s, rt, embedder=HashEmbedder(), store=MemoryStore(), **(loader or {})),
                   base_url="http://testserver")
    c.__enter__()
    assert wait_ready(rt, timeout=30), rt.error
    return c


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    c = make_client(db_url, tmp_path)
    yield c
    c.__exit__(None, None, None)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[TestClient]:
    c = make_client(f"sqlite:///{tmp_path / 'lite.db'}", tmp_path)
    yield c
    c.__exit__(None, None, None)


def start(c: TestClient, qid: str = QID, headers: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    r = c.post("/api/interviews", json={"question_id": qid}, headers=headers or {})
    assert r.status_code == 201, r.text
    c.cookies.clear()  # the header is what identifies the candidate from here on
    return r.json()["id"], headers or {TOKEN_HEADER: r.headers[TOKEN_HEADER]}


def assert_hardened(r: Any, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert "error" in r.json() and (code is None or r.json()["error"]["code"] == code)
    for name in SECURITY:
        assert name in r.headers, name
    assert "server" not in r.headers


# -- input hygiene --------------------------------------------------------------------------------------------

def test_lone_surrogates_and_nul_bytes_get_a_422_naming_the_field(client: TestClient) -> None:
    sid, h = start(client)
    for body in ('{"text": "before \\ud800 after"}', '{"text": "nul \\u0000 byte"}'):
        r = client.post(f"/api/interviews/{sid}/messages", content=body.encode(),
                        headers={**h, "content-type": "application/json"})
        assert_hardened(r, 422, "invalid_request")
        assert r.json()["error"]["message"].startswith("text:")
    r = client.post("/api/guide/ask", content=b'{"question": "\\ud800"}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "question" in r.json()["error"]["message"]
    r = client.post("/api/grade", json={"answer": ANSWER, "question": "q?", "rubric": [
        {"id": "a", "description": "nul \x00 here"}]})
    assert r.status_code == 422 and "rubric" in r.json()["error"]["message"]


def test_nul_bytes_in_path_ids_and_huge_integers_are_4xx_not_500(client: TestClient) -> None:
    sid, h = start(client)
    assert_hardened(client.get("/api/interviews/abc%00def", headers=h), 404, "not_found")
    assert_hardened(client.post("/api/interviews/%00/messages", json={"text": "hi"}, headers=h), 404)
    assert_hardened(client.get("/api/interviews?offset=9223372036854775808", headers=h), 422)
    assert_hardened(client.get("/api/interviews?limit=100000", headers=h), 422)


def test_unexpected_errors_are_json_500s_with_headers_and_a_request_id(lite: TestClient,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    sid, h = start(lite)
    rt = lite.app.state.runtime  # type: ignore[attr-defined]

    def boom(*_: Any) -> None:
        raise RuntimeError("an unexpected bug")

    rt.interviews.get = boom
    r = lite.get(f"/api/interviews/{sid}", headers=h)
    assert_hardened(r, 500, "internal_error")
    rid = r.headers["x-request-id"]
    assert rid in r.json()["error"]["message"] and "unexpected bug" not in r.text
    assert any(rid in rec.getMessage() and rec.exc_info for rec in caplog.records)


# -- body limits ----------------------------------------------------------------------------------------------

def test_a_chunked_body_over_the_limit_is_a_413(lite: TestClient) -> None:
    """TestClient buffers the upload; tests/app/api/test_server.py shows a real server stops reading early."""

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    r = lite.post("/api/guide/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers  # really chunked: no length to trust
    assert_hardened(r, 413, "payload_too_large")


def test_a_declared_length_over_the_limit_is_refused_before_reading(lite: TestClient) -> None:
    r = lite.post("/api/guide/ask", content=b"x" * 1_000_001, headers={"content-type": "application/json"})
    assert_hardened(r, 413, "payload_too_large")


@pytest.mark.parametrize("body,field", [
    ({"rubric": [{"id": f"c{i}", "description": "Covers it."} for i in range(13)]}, "rubric"),
    ({"reference_answer": "word " * 1001}, "reference_answer"),
    ({"question": "q" * 2001}, "question"),
    ({"rubric": [{"id": "a", "description": "d" * 1001}]}, "rubric"),
    ({"rubric": [{"id": "a", "description": "ok", "levels": ["l" * 1001, "b", "c", "d"]}]}, "rubric"),
])
def test_inline_rubrics_are_bounded(lite: TestClient, body: dict[str, Any], field: str) -> None:
    r = lite.post("/api/grade", json={"answer": ANSWER, "question": "How would you ship this?", **body})
    assert_hardened(r, 422, "invalid_request")
    assert field in r.json()["error"]["message"]


def test_grading_past_its_budget_is_a_503_and_the_interview_can_be_graded_later(tmp_path: Path) -> None:
    class Slow:
        def __init__(self) -> None:
            self.delay = 1.0
            self.inner: Any = None

        def grade(self, rubric: Any, answer: str) -> Any:
            time.sleep(self.delay)
            return self.inner.grade(rubric, answer)

    c = make_client(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, grade_time_budget=0.3)
    try:
        rt = c.app.state.runtime  # type: ignore[attr-defined]
        slow = Slow()
        slow.inner, rt.interviews.flow.judge = rt.grader, slow
        r = c.post("/api/grade", json={"answer": ANSWER, "question_id": QID})
        assert r.status_code == 200  # the stateless grader is the fast embedded one
        sid, h = start(c)
        c.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
        r = c.post(f"/api/interviews/{sid}/grade", headers=h)
        assert_hardened(r, 503, "grading_timeout")
        assert "retry-after" in r.headers
        assert c.get(f"/api/interviews/{sid}", headers=h).json()["state"] != "grading"  # handed back
        slow.delay = 0.0
        assert c.post(f"/api/interviews/{sid}/grade", headers=h).status_code == 200
    finally:
        c.__exit__(None, None, None)


# -- CSRF, headers, cookies, docs -----------------------------------------------------------------------------

def test_cross_site_requests_are_refused(lite: TestClient) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert_hardened(lite.post("/api/interviews", content=b"a=1", headers=form), 403, "forbidden")
    assert_hardened(lite.post("/api/interviews", json={}, headers={"origin": "https://evil.example"}), 403)
    assert_hardened(lite.post("/api/interviews", headers={"origin": "null"}), 403)
    ok = lite.post("/api/interviews", json={"question_id": QID}, headers={"origin": "http://testserver"})
    assert ok.status_code == 201
    # No body at all is fine from the app itself, which sends a custom header on every call.
    sid = ok.json()["id"]
    r = lite.post(f"/api/interviews/{sid}/grade", headers={"x-requested-with": "casewise"})
    assert r.status_code == 409  # past the CSRF check: nothing answered yet
    assert lite.get("/api/questions", headers={"origin": "https://evil.example"}).status_code == 200  # reads pass


def test_every_response_carries_the_security_headers(lite: TestClient) -> None:
    for r in (lite.get("/api/questions"), lite.get("/api/nope"), lite.get("/healthz"), lite.get("/")):
        assert all(name in r.headers for name in SECURITY) and "server" not in r.headers
    assert lite.get("/api/questions").headers["cache-control"] == "no-store"
    assert lite.get("/api/nope").headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_configured(tmp_path: Path) -> None:
    c = make_client(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, cookie_secure=True)
    try:
        r = c.post("/api/interviews", json={"question_id": QID})
        cookie = r.headers["set-cookie"].lower()
        assert TOKEN_COOKIE in cookie and "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        c.__exit__(None, None, None)


def test_docs_are_off_by_default_and_work_when_enabled(lite: TestClient, tmp_path: Path) -> None:
    assert "swagger" not in lite.get("/docs").text.lower()
    assert lite.get("/openapi.json").status_code == 200
    c = make_client(f"sqlite:///{tmp_path / 'd.db'}", tmp_path, docs_enabled=True)
    try:
        r = c.get("/docs")
        assert r.status_code == 200 and "swagger" in r.text.lower()
        assert "cdn.jsdelivr.net" in r.headers["content-security-policy"]
        assert "cdn.jsdelivr.net" not in c.get("/api/questions").headers["content-security-policy"]
    finally:
        c.__exit__(None, None, None)


# -- candidates, pagination, quotas ---------------------------------------------------------------------------

def _candidates(c: TestClient) -> int:
    with Session(c.app.state.runtime.engine) as db:  # type: ignore[attr-defined]
        return int(db.exec(select(func.count()).select_from(Candidate)).one())


def test_only_a_state_changing_call_creates_a_candidate(client: TestClient) -> None:
    for path in ("/api/interviews", "/api/progress", "/api/interviews/0123456789abcdef0123456789abcdef"):
        client.get(path, headers={TOKEN_HEADER: "made-up"})
        client.get(path)
    client.post("/api/interviews", json={"question_id": "no-such-question"})
    assert _candidates(client) == 0
    assert client.get("/api/interviews").json() == []
    start(client)
    assert _candidates(client) == 1


def test_lists_are_paginated(lite: TestClient) -> None:
    _, h = start(lite)
    for _ in range(4):
        start(lite, headers=h)
    first = lite.get("/api/interviews?limit=2", headers=h).json()
    second = lite.get("/api/interviews?limit=2&offset=2", headers=h).json()
    rest = lite.get("/api/interviews?limit=2&offset=4", headers=h).json()
    assert len(first) == 2 and len(second) == 2 and len(rest) == 1
    assert len({s["id"] for s in first + second + rest}) == 5


def test_quotas_are_429s(tmp_path: Path) -> None:
    c = make_client(f"sqlite:///{tmp_path / 'q.db'}", tmp_path, quota_sessions_per_day=2, quota_turns_per_session=2,
                    quota_chars_per_session=1000, quota_disputes_per_criterion=1)
    try:
        sid, h = start(c)
        start(c, headers=h)
        r = c.post("/api/interviews", json={"question_id": QID}, headers=h)
        assert_hardened(r, 429, "quota_exceeded")
        assert 80_000 < int(r.headers["retry-after"]) <= 86_401
        long = {"text": "word " * 190}  # 950 characters
        assert c.post(f"/api/interviews/{sid}/messages", json=long, headers=h).status_code == 200
        r = c.post(f"/api/interviews/{sid}/messages", json={"text": "another " * 10}, headers=h)
        assert_hardened(r, 429, "quota_exceeded")
        assert "characters" in r.json()["error"]["message"]
        assert c.post(f"/api/interviews/{sid}/messages", json={"text": "Skip"}, headers=h).status_code == 200
        r = c.post(f"/api/interviews/{sid}/messages", json={"text": "Skip"}, headers=h)
        assert_hardened(r, 429, "quota_exceeded")
        assert "messages" in r.json()["error"]["message"]
        assert c.post(f"/api/interviews/{sid}/grade", headers=h).status_code == 200
        crit = c.get(f"/api/interviews/{sid}", headers=h).json()["scorecard"]["criteria"][0]["id"]
        d = {"criterion_id": crit, "reason": "I covered this in my answer."}
        assert c.post(f"/api/interviews/{sid}/disputes", json=d, headers=h).status_code == 201
        assert_hardened(c.post(f"/api/interviews/{sid}/disputes", json=d, headers=h), 429, "quota_exceeded")
    finally:
        c.__exit__(None, None, None)


# -- idempotency and turn ids ---------------------------------------------------------------------------------

def test_a_retried_message_returns_the_stored_result_once(client: TestClient) -> None:
    sid, h = start(client)
    key = {**h, "Idempotency-Key": "2b0c5e1a-retry-1"}
    first = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=key)
    again = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["received"] == first.json()["received"] and again.json()["replayed"] is True
    assert [m["id"] for m in again.json()["messages"]] == [m["id"] for m in first.json()["messages"]]
    with Session(client.app.state.runtime.engine) as db:  # type: ignore[attr-defined]
        mine = db.exec(select(Turn).where(Turn.session_id == sid, Turn.role == "candidate")).all()
    assert len(mine) == 1
    bad = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER},
                      headers={**h, "Idempotency-Key": "spaces are not allowed"})
    assert bad.status_code == 422


def test_turn_ids_are_numbered_per_session(client: TestClient) -> None:
    a, h = start(client)
    b, _ = start(client, headers=h)
    client.post(f"/api/interviews/{a}/messages", json={"text": ANSWER}, headers=h)
    ids_a = [m["id"] for m in client.get(f"/api/interviews/{a}", headers=h).json()["messages"]]
    ids_b = [m["id"] for m in client.get(f"/api/interviews/{b}", headers=h).json()["messages"]]
    assert ids_a == list(range(1, len(ids_a) + 1)) and ids_b == [1]
