"""The guide API contract, readiness, and bad input (always 4xx with a message, never 5xx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_answerer
from app.main import create_app
from app.ratelimit import is_expensive
from app.runtime import build_runtime, wait_ready
from app.settings import Settings
from rag.answerer import GuideAnswer
from tests.fakes import FakeAnswerer, HashEmbedder, MemoryStore
from tests.sse import sse_events


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    rt = build_runtime(settings)
    app = create_app(settings, rt, embedder=HashEmbedder(), store=MemoryStore())
    with TestClient(app) as c:
        assert wait_ready(rt, timeout=30)
        yield c


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"index": True, "database": True, "vector_store": True}


def test_readyz_is_503_and_ask_is_503_before_the_index_loads(settings: Settings) -> None:
    app = create_app(settings)  # no `with`: the lifespan (and so loading) never starts
    c = TestClient(app)
    assert c.get("/healthz").status_code == 200
    assert c.get("/readyz").status_code == 503
    r = c.post("/api/guide/ask", json={"question": "What is RAG?"})
    assert r.status_code == 503 and "loading" in r.json()["error"]["message"]


def test_ask_returns_the_contract_fields(client: TestClient) -> None:
    r = client.post("/api/guide/ask", json={"question": "hourly rates for expert labellers"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"answer", "grounded", "citations"}
    assert isinstance(body["grounded"], bool)
    for c in body["citations"]:
        assert {"n", "section_id", "title", "snippet", "score"} <= set(c)
        assert f"[{c['n']}]" in body["answer"]


def test_ask_goes_through_the_injected_answerer(client: TestClient) -> None:
    fake = FakeAnswerer([GuideAnswer("Not covered.", False)])
    client.app.dependency_overrides[get_answerer] = lambda: fake  # type: ignore[attr-defined]
    r = client.post("/api/guide/ask", json={"question": "  padded question  "})
    assert r.json() == {"answer": "Not covered.", "grounded": False, "citations": [], "nearest": []}
    assert fake.questions == ["padded question"]


@pytest.mark.parametrize("kwargs,status,message", [
    ({"json": {"question": ""}}, 422, "must not be empty"),
    ({"json": {"question": " \n\t "}}, 422, "must not be empty"),
    ({"json": {"question": "x" * 2001}}, 422, "limit is 2000"),
    ({"json": {}}, 422, "question"),
    ({"json": {"question": 42}}, 422, "question"),
    ({"json": ["a list"]}, 422, "JSON object"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
    ({"content": b"plain text"}, 403, "application/json"),  # what a cross-site form could send
    ({"content": b"plain text", "headers": {"x-requested-with": "t"}}, 422, "JSON"),
    ({"content": b"x" * 1_000_001, "headers": {"content-type": "application/json"}}, 413, "limit"),
])
def test_bad_ask_requests_get_a_clear_4xx(client: TestClient, kwargs: dict, status: int, message: str) -> None:
    r = client.post("/api/guide/ask", **kwargs)
    assert r.status_code == status
    assert message in r.json()["error"]["message"]


def test_sections_list_and_fetch(client: TestClient) -> None:
    listed = client.get("/api/guide/sections").json()
    assert len(listed) >= 14 and {"id", "title"} <= set(listed[0])
    one = client.get(f"/api/guide/sections/{listed[0]['id']}").json()
    assert one["title"] == listed[0]["title"] and len(one["text"].split()) >= 150


def test_unknown_section_is_404(client: TestClient) -> None:
    r = client.get("/api/guide/sections/no-such-section")
    assert r.status_code == 404 and "no-such-section" in r.json()["error"]["message"]


def test_frontend_is_served_with_a_csp_and_no_inline_script(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "<script type=\"module\" src=" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text


def test_the_guide_history_survives_a_reload_and_is_per_candidate(client: TestClient) -> None:
    assert client.get("/api/guide/history").json() == []  # an unknown caller has no history (and gets no token)
    r = client.post("/api/guide/ask", json={"question": "What is a golden set?"})
    token = r.headers["X-Candidate-Token"]
    client.post("/api/guide/ask", json={"question": "What is the capital of France?"})
    client.cookies.clear()  # a reload in another tab: only the token identifies the candidate
    history = client.get("/api/guide/history", headers={"X-Candidate-Token": token}).json()
    assert [h["question"] for h in history] == ["What is a golden set?", "What is the capital of France?"]
    assert history[0]["answer"] == r.json() and history[0]["answer"]["grounded"] is True
    assert client.get("/api/guide/history", headers={"X-Candidate-Token": "someone-else"}).json() == []


def test_the_glossary_says_where_each_term_is_defined(client: TestClient) -> None:
    terms = {t["term"]: t for t in client.get("/api/guide/glossary").json()}
    assert len(terms) >= 20
    golden = terms["golden set"]
    assert golden["section_id"] == "retrieval-augmented-generation" and "golden set" in golden["sentence"]
    section = client.get(f"/api/guide/sections/{golden['section_id']}").json()
    assert golden["sentence"].split(" ")[3] in section["text"]


def test_the_stream_sends_done_only_with_the_ask_body_when_no_model_is_set(client: TestClient) -> None:
    r = client.post("/api/guide/ask/stream", json={"question": "What is a golden set?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-store" and r.headers["x-accel-buffering"] == "no"
    token = r.headers["X-Candidate-Token"]  # a first question issues a token, as /ask does
    events = sse_events(r.text)
    assert [name for name, _ in events] == ["done"]
    done = events[0][1]
    assert done == client.post("/api/guide/ask", json={"question": "What is a golden set?"}).json()
    client.cookies.clear()
    history = client.get("/api/guide/history", headers={"X-Candidate-Token": token}).json()
    assert [h["question"] for h in history] == ["What is a golden set?"] * 2  # streamed, then asked whole
    assert history[0]["answer"] == done


@pytest.mark.parametrize("kwargs,status,message", [
    ({"json": {"question": " "}}, 422, "must not be empty"),
    ({"json": {"question": "x" * 2001}}, 422, "limit is 2000"),
    ({"content": b"plain text"}, 403, "application/json"),
])
def test_bad_stream_requests_get_the_same_4xx_as_ask(client: TestClient, kwargs: dict[str, Any], status: int,
                                                     message: str) -> None:
    r = client.post("/api/guide/ask/stream", **kwargs)
    assert r.status_code == status and message in r.json()["error"]["message"]


def test_the_stream_is_503_before_the_index_loads(settings: Settings) -> None:
    r = TestClient(create_app(settings)).post("/api/guide/ask/stream", json={"question": "What is RAG?"})
    assert r.status_code == 503 and "loading" in r.json()["error"]["message"]


def test_the_stream_counts_against_the_expensive_rate_limit() -> None:
    assert is_expensive("POST", "/api/guide/ask/stream") and is_expensive("POST", "/api/guide/ask")
