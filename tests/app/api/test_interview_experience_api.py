"""Issue 15 over HTTP: history excerpts, the answer's timing on the scorecard, progress leaving out gaming and
abstained sessions, and an OpenAPI document that describes every interview and progress response."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.api.test_interviews_api import ANSWER, make_client, start

KEYWORDS = "RAG, embeddings, evals, guardrails, human in the loop, A/B test, latency, CSAT, fine-tuning, golden set"
MORE = ("I'd measure acceptance rate and handle time against a holdout, and suppress low-confidence drafts so "
        "nothing invents a refund; then roll out by cohort in shadow mode with a kill switch.")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    c = make_client(f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    yield c
    c.__exit__(None, None, None)


def _again(c: TestClient, h: dict[str, str]) -> str:
    """Another interview for the same candidate (no new token is issued)."""
    r = c.post("/api/interviews", json={"question_id": "support-reply-drafts"}, headers=h)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _answer_and_grade(c: TestClient, sid: str, h: dict[str, str], *texts: str) -> dict[str, Any]:
    for text in texts:
        assert c.post(f"/api/interviews/{sid}/messages", json={"text": text}, headers=h).status_code == 200
    r = c.post(f"/api/interviews/{sid}/grade", headers=h)
    assert r.status_code == 200, r.text
    card: dict[str, Any] = r.json()
    return card


def test_the_scorecard_records_how_long_the_answer_took(client: TestClient) -> None:
    sid, h = start(client)
    card = _answer_and_grade(client, sid, h, ANSWER, MORE)
    timing = card["timing"]
    assert isinstance(timing, dict)
    assert timing["suggested_minutes"] == 20 and 0 <= timing["answer_seconds"] < 600 and timing["over_time"] is False
    stored = client.get(f"/api/interviews/{sid}", headers=h).json()["scorecard"]
    assert stored["timing"] == timing


def test_history_shows_the_first_words_of_the_answer(client: TestClient) -> None:
    sid, h = start(client)
    client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    (row,) = client.get("/api/interviews", headers=h).json()
    assert row["excerpt"].startswith("I would build reply drafts for support agents") and row["excerpt"].endswith("…")
    sid2 = _again(client, h)
    rows = client.get("/api/interviews", headers=h).json()
    assert [r["excerpt"] for r in rows if r["id"] == sid2] == [""]


def test_progress_leaves_out_a_keyword_list_session(client: TestClient) -> None:
    sid, h = start(client)
    card = _answer_and_grade(client, sid, h, KEYWORDS)
    assert any("keywords" in f for f in card["flags"])
    honest = _again(client, h)
    _answer_and_grade(client, honest, h, ANSWER, MORE)
    p = client.get("/api/progress", headers=h).json()
    assert [x["session_id"] for x in p["left_out"]] == [sid] and p["left_out"][0]["reason"] == "flagged"
    assert [x["session_id"] for x in p["history"]] == [honest]


def test_a_keyword_list_gets_a_nudge_over_http(client: TestClient) -> None:
    sid, h = start(client)
    r = client.post(f"/api/interviews/{sid}/messages", json={"text": KEYWORDS}, headers=h).json()
    assert r["messages"][-1]["kind"] == "nudge" and "Walk me through how" in r["messages"][-1]["text"]


def test_openapi_describes_every_interview_and_progress_response(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def resolve(s: dict[str, object]) -> dict[str, object]:
        while "$ref" in s:
            s = schemas[str(s["$ref"]).rsplit("/", 1)[-1]]
        if s.get("type") == "array":
            return resolve(s["items"])  # type: ignore[arg-type]
        return s

    for path, ops in doc["paths"].items():
        if not path.startswith(("/api/interviews", "/api/progress")):
            continue
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"404", "422", "429", "500", "503"} <= codes | {"404"}, (method, path, codes)
            assert "404" in codes or path == "/api/progress" or method == "get" and path == "/api/interviews"
            for code, resp in op["responses"].items():
                body = resp.get("content", {}).get("application/json")
                if code.startswith("2") and body:
                    assert "properties" in resolve(body["schema"]), (method, path, code)
            if "{session_id}" in path and method == "post":
                assert "409" in codes, (method, path)


def test_a_concept_question_is_answered_from_the_guide_with_its_section(client: TestClient) -> None:
    sid, h = start(client)
    r = client.post(f"/api/interviews/{sid}/messages", json={"text": "What do you mean by a golden set?"},
                    headers=h).json()
    assert r["received"]["kind"] == "clarifying_question" and r["state"] == "awaiting_answer"
    (reply,) = r["messages"]
    assert reply["kind"] == "guide_answer" and reply["text"].startswith("From the guide")
    assert "golden set" in reply["text"].lower()
    section = client.get(f"/api/guide/sections/{reply['criterion_id']}")
    assert section.status_code == 200 and section.json()["title"] in reply["text"]
    # A question about the case itself still gets the case's facts.
    r = client.post(f"/api/interviews/{sid}/messages", json={"text": "How many tickets are handled per month?"},
                    headers=h).json()
    assert r["messages"][0]["kind"] == "clarification" and "2 million tickets" in r["messages"][0]["text"]
