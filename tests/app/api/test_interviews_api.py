"""Mock interviews over HTTP, persisted on SQLite and PostgreSQL: the flow, ownership, bad input, exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.deps import TOKEN_COOKIE, TOKEN_HEADER
from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.settings import ROOT, Settings
from tests.fakes import HashEmbedder, MemoryStore

QID = "support-reply-drafts"
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets.")


def make_client(db_url: str, tmp_path: Path, **overrides: object) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, content_dir=ROOT / "content",
                        _env_file=None)  # type: ignore[call-arg]
    rt = build_runtime(settings)
    app = create_app(settings, rt, embedder=HashEmbedder(), store=MemoryStore(), **overrides)
    client = TestClient(app)
    client.__enter__()
    assert wait_ready(rt, timeout=30), rt.error
    return client


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    c = make_client(db_url, tmp_path)
    yield c
    c.__exit__(None, None, None)


def start(c: TestClient, **body: object) -> tuple[str, dict[str, str]]:
    r = c.post("/api/interviews", json=body or {"question_id": QID})
    assert r.status_code == 201, r.text
    token = r.headers[TOKEN_HEADER]
    return r.json()["id"], {TOKEN_HEADER: token}


def test_full_interview_is_persisted_and_complete(client: TestClient) -> None:
    r = client.post("/api/interviews", json={"question_id": QID})
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "awaiting_answer" and body["question"]["id"] == QID
    assert set(body["question"]) == {"id", "title", "prompt", "type", "level", "suggested_minutes"}
    assert "20 minutes" in body["messages"][0]["text"]
    token = r.headers[TOKEN_HEADER]
    assert r.cookies.get(TOKEN_COOKIE) == token and "httponly" in r.headers["set-cookie"].lower()
    sid, h = body["id"], {TOKEN_HEADER: token}

    r = client.post(f"/api/interviews/{sid}/messages", json={"text": "How many tickets are handled per month?"},
                    headers=h).json()
    assert r["received"]["kind"] == "clarifying_question" and r["state"] == "awaiting_answer"
    assert "2 million tickets" in r["messages"][0]["text"]

    r = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h).json()
    assert r["received"]["kind"] == "answer"
    for _ in range(6):  # a thin answer gets a nudge for reasoning, a weak criterion a probe; both take a reply
        if r["state"] == "ready_to_grade":
            break
        assert r["messages"][-1]["kind"] in ("probe", "nudge") and r["messages"][-1]["criterion_id"]
        r = client.post(f"/api/interviews/{sid}/messages", headers=h, json={
            "text": "I'd measure acceptance rate and handle time against a holdout, and suppress low-confidence "
                    "drafts so nothing invents a refund."}).json()
    assert r["state"] == "ready_to_grade"

    card = client.post(f"/api/interviews/{sid}/grade", headers=h)
    assert card.status_code == 200
    card = card.json()
    assert {"abstained", "overall", "criteria", "flags", "grader"} <= set(card)
    assert 0 <= card["overall"]["score"] <= 100 and card["overall"]["band"] in (
        "below_bar", "approaching", "meets_bar", "strong")
    for c in card["criteria"]:
        assert {"id", "name", "competency", "level", "evidence", "missing", "study"} <= set(c)
        assert all(e in ANSWER or e in json.dumps(client.get(f"/api/interviews/{sid}", headers=h).json())
                   for e in c["evidence"])
        assert all({"section_id", "title"} <= set(s) for s in c["study"])

    assert client.post(f"/api/interviews/{sid}/messages", json={"text": "one more"}, headers=h).status_code == 409
    assert client.post(f"/api/interviews/{sid}/grade", headers=h).status_code == 409

    got = client.get(f"/api/interviews/{sid}", headers=h).json()
    assert got["state"] == "graded" and got["scorecard"]["overall"] == card["overall"]
    kinds = [m["kind"] for m in got["messages"]]
    assert kinds[:4] == ["question", "clarifying_question", "clarification", "answer"] and kinds[-1] == "scorecard"
    listed = client.get("/api/interviews", headers=h).json()
    assert [s["id"] for s in listed] == [sid] and listed[0]["band"] == card["overall"]["band"]


def test_other_candidates_get_404_everywhere(client: TestClient) -> None:
    sid, mine = start(client)
    client.cookies.clear()
    _, theirs = start(client)
    client.cookies.clear()
    for method, path, body in [("get", f"/api/interviews/{sid}", None),
                               ("post", f"/api/interviews/{sid}/messages", {"text": ANSWER}),
                               ("post", f"/api/interviews/{sid}/grade", None),
                               ("get", f"/api/interviews/{sid}/export?format=json", None),
                               ("post", f"/api/interviews/{sid}/disputes", {"criterion_id": "risks", "reason": "x"})]:
        r = client.request(method.upper(), path, json=body, headers=theirs)
        assert r.status_code == 404, (path, r.status_code)
    assert client.get("/api/interviews", headers=theirs).json()[0]["id"] != sid
    assert client.get(f"/api/interviews/{sid}", headers=mine).status_code == 200


@pytest.mark.parametrize("body,status,message", [
    ({"question_id": "nope"}, 404, "no question"),
    ({"type": "poetry"}, 422, "type"),
    ({"level": "intern"}, 422, "level"),
    ({"question_id": QID, "extra": 1}, 422, "extra"),
])
def test_bad_start_requests(client: TestClient, body: dict, status: int, message: str) -> None:
    r = client.post("/api/interviews", json=body)
    assert r.status_code == status and message in r.json()["error"]["message"]


def test_start_by_type_and_level_and_next_best(client: TestClient) -> None:
    r = client.post("/api/interviews", json={"type": "estimation", "level": "senior"}).json()
    assert r["question"]["type"] == "estimation" and r["question"]["level"] == "senior"
    assert client.post("/api/interviews", json={}).status_code == 201


@pytest.mark.parametrize("text,message", [("", "must not be empty"), ("  ", "must not be empty"),
                                          ("x" * 20_001, "limit is 20000")])
def test_bad_messages(client: TestClient, text: str, message: str) -> None:
    sid, h = start(client)
    r = client.post(f"/api/interviews/{sid}/messages", json={"text": text}, headers=h)
    assert r.status_code == 422 and message in r.json()["error"]["message"]
    assert client.post(f"/api/interviews/{sid}/messages", content=b"{oops", headers={
        **h, "content-type": "application/json"}).status_code == 422
    assert client.post(f"/api/interviews/{sid}/grade", headers=h).status_code == 409  # nothing answered yet
    assert client.post("/api/interviews/unknown/messages", json={"text": "hi"}, headers=h).status_code == 404


def test_export_markdown_and_json(client: TestClient) -> None:
    sid, h = start(client)
    client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    client.post(f"/api/interviews/{sid}/grade", headers=h)
    md = client.get(f"/api/interviews/{sid}/export?format=md", headers=h)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "## Transcript" in md.text and "## Scorecard" in md.text and "attachment" in md.headers[
        "content-disposition"]
    js = client.get(f"/api/interviews/{sid}/export?format=json", headers=h).json()
    assert js["id"] == sid and js["scorecard"] is not None
    assert client.get(f"/api/interviews/{sid}/export?format=pdf", headers=h).status_code == 422


def test_disputes_are_rechecked_and_stored(client: TestClient) -> None:
    sid, h = start(client)
    client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    before = {"criterion_id": "risks", "reason": "I covered this."}
    assert client.post(f"/api/interviews/{sid}/disputes", json=before, headers=h).status_code == 409
    client.post(f"/api/interviews/{sid}/grade", headers=h)
    bad = client.post(f"/api/interviews/{sid}/disputes", json={"criterion_id": "nope", "reason": "x"}, headers=h)
    assert bad.status_code == 404
    d = client.post(f"/api/interviews/{sid}/disputes", headers=h, json={
        "criterion_id": "solution_design", "reason": "I said drafts are grounded with retrieval per customer."})
    assert d.status_code == 201
    body = d.json()
    assert body["decision"] in ("upheld", "rejected") and body["explanation"]
    assert body["new_level"] >= body["old_level"]
    stored = client.get(f"/api/interviews/{sid}", headers=h).json()["disputes"]
    assert [x["criterion_id"] for x in stored] == ["solution_design"]


def test_progress_covers_every_graded_session(client: TestClient) -> None:
    h: dict[str, str] = {}
    for qid in (QID, "marketplace-fraud-threshold"):
        r = client.post("/api/interviews", json={"question_id": qid}, headers=h)
        h = h or {TOKEN_HEADER: r.headers[TOKEN_HEADER]}
        sid = r.json()["id"]
        client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
        client.post(f"/api/interviews/{sid}/grade", headers=h)
    p = client.get("/api/progress", headers=h).json()
    assert len(p["history"]) == 2 and p["sessions"] == 2
    practised = [c for c in p["competencies"] if c["mastery"] is not None]
    assert practised and all(0 <= c["mastery"] <= 3 and c["history"] for c in practised)
    assert p["weakest"] and p["next_question"]["id"] not in (QID, "marketplace-fraud-threshold")


def test_replies_come_whole_in_the_post_and_match_the_stored_transcript(client: TestClient) -> None:
    """The browser renders the interviewer messages the POST returns; there is no second, staged stream of them."""
    r = client.post("/api/interviews", json={"question_id": QID})
    sid, h = r.json()["id"], {TOKEN_HEADER: r.headers[TOKEN_HEADER]}
    shown = r.json()["messages"]
    assert [m["kind"] for m in shown] == ["question"] and "20 minutes" in shown[0]["text"]
    reply = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h).json()
    shown += reply["messages"]
    assert reply["messages"] and all(m["role"] == "interviewer" and m["text"] for m in reply["messages"])
    stored = [m for m in client.get(f"/api/interviews/{sid}", headers=h).json()["messages"]
              if m["role"] == "interviewer"]
    assert [(m["id"], m["text"]) for m in shown] == [(m["id"], m["text"]) for m in stored]
    assert client.get(f"/api/interviews/{sid}/stream", headers=h).status_code == 404
    paths = client.get("/openapi.json").json()["paths"]  # only the guide's LLM answers stream
    assert not any("event-stream" in json.dumps(op) for p, op in paths.items() if p.startswith("/api/interviews"))


def test_a_crashing_grader_loses_no_answer(db_url: str, tmp_path: Path) -> None:
    class Boom:
        fingerprint = {"kind": "boom"}

        def grade(self, rubric: object, answer: str) -> object:
            raise RuntimeError("model exploded")

    c = make_client(db_url, tmp_path, grader=Boom())
    try:
        sid, h = start(c)
        r = c.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
        assert r.status_code == 200 and "saved" in r.json()["messages"][0]["text"]
        g = c.post(f"/api/interviews/{sid}/grade", headers=h)
        assert g.status_code == 503 and "saved" in g.json()["error"]["message"]
        texts = [m["text"] for m in c.get(f"/api/interviews/{sid}", headers=h).json()["messages"]]
        assert ANSWER in texts
    finally:
        c.__exit__(None, None, None)


def test_the_strong_answer_is_revealed_only_after_grading(client: TestClient) -> None:
    sid, h = start(client)
    assert client.get(f"/api/interviews/{sid}/exemplar", headers=h).status_code == 409
    client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    client.post(f"/api/interviews/{sid}/grade", headers=h)
    ex = client.get(f"/api/interviews/{sid}/exemplar", headers=h).json()
    assert ex["source"] == "exemplar" and ex["band"] in ("strong", "meets_bar") and len(ex["text"].split()) > 50
    client.cookies.clear()
    _, other = start(client)
    assert client.get(f"/api/interviews/{sid}/exemplar", headers=other).status_code == 404
