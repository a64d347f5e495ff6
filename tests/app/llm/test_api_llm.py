"""The LLM mode end to end over HTTP, through litellm and the scripted server: a full interview, a guide answer,
usage per session, fault counters on /readyz, and every fault degrading without losing what was submitted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import TOKEN_COOKIE, TOKEN_HEADER
from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.settings import Settings
from tests.app.llm.conftest import fresh, is_judge, judge_json, llm_settings, polite_model
from tests.fakes import HashEmbedder, MemoryStore
from tests.llm_server import Reply, ScriptedLLM

QID = "support-reply-drafts"
# A full answer (over flow.THIN_WORDS words), so the interviewer replies rather than nudging for more.
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets. I would "
          "start with the ten most common ticket types, measure acceptance rate and handle time against a holdout "
          "group, and suppress drafts whose confidence is low so that nothing invents a refund or a policy.")
PROBE_ANSWER = ("I'd measure acceptance rate and handle time against a holdout, and suppress low-confidence drafts so "
                "nothing invents a refund.")


def app_client(settings: Settings) -> TestClient:
    rt = build_runtime(settings)
    client = TestClient(create_app(settings, rt, embedder=HashEmbedder(), store=MemoryStore()))
    client.__enter__()
    assert wait_ready(rt, timeout=30), rt.error
    return client


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[ScriptedLLM, TestClient]]:
    """One server and one app for the module (start-up is the slow part); each test resets the script."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, ScriptedLLM() as server:
        # 3 s, not 1 s: a reply the server sends at once must never read as a timeout on a loaded CI machine
        # (see fault_timeout); the stall cases (Reply.slow(10)) still degrade, 2 s later.
        c = app_client(llm_settings(Path(tmp), server.base_url, llm_timeout=3.0))
        yield server, c
        c.__exit__(None, None, None)


@pytest.fixture
def server(shared: tuple[ScriptedLLM, TestClient]) -> ScriptedLLM:
    return fresh(shared[0], polite_model)


def start(c: TestClient) -> tuple[str, dict[str, str], dict[str, Any]]:
    r = c.post("/api/interviews", json={"question_id": QID})
    assert r.status_code == 201, r.text
    token = r.headers.get(TOKEN_HEADER) or c.cookies.get(TOKEN_COOKIE)  # one client keeps its cookie across tests
    assert token
    return r.json()["id"], {TOKEN_HEADER: token}, r.json()


def test_full_interview_through_litellm(client: TestClient, server: ScriptedLLM) -> None:
    sid, h, body = start(client)
    assert not body["degraded"] and body["messages"][0]["text"].startswith("Good to meet you")
    assert "20 minutes" in body["messages"][0]["text"]
    shown = list(body["messages"])  # what the browser renders: the interviewer messages the POSTs return

    r = client.post(f"/api/interviews/{sid}/messages", json={"text": "How many tickets are handled per month?"},
                    headers=h).json()
    assert r["received"]["kind"] == "clarifying_question" and not r["degraded"]
    shown += r["messages"]

    r = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h).json()
    assert r["received"]["kind"] == "answer" and not r["degraded"]
    shown += r["messages"]
    while r["state"] == "follow_up":
        assert r["messages"][-1]["kind"] == "probe"
        r = client.post(f"/api/interviews/{sid}/messages", headers=h, json={"text": PROBE_ANSWER}).json()
        shown += r["messages"]
    assert r["state"] == "ready_to_grade"

    card = client.post(f"/api/interviews/{sid}/grade", headers=h).json()
    assert card["grader"]["kind"] == "llm" and not card["degraded"]
    assert [c["level"] for c in card["criteria"]] == [2] * len(card["criteria"])
    assert all(c["study"] for c in card["criteria"])  # study links still come from retrieval

    view = client.get(f"/api/interviews/{sid}", headers=h).json()
    usage = view["usage"]
    assert usage["calls"] == len(server.requests) and usage["total_tokens"] == 70 * usage["calls"]
    assert usage["by_role"]["judge"]["calls"] == 1 and usage["by_role"]["interviewer"]["calls"] >= 3
    assert usage["latency_ms"] > 0 and usage["degraded_events"] == []

    judged = [b for b in server.requests if is_judge(b)]
    assert len(judged) == 1 and ANSWER in judged[0]["messages"][1]["content"]
    assert PROBE_ANSWER in judged[0]["messages"][1]["content"]

    # The replies the POSTs returned are the stored interviewer turns, whole and in order: nothing arrives later.
    stored = [m for m in view["messages"] if m["role"] == "interviewer" and m["kind"] != "scorecard"]
    assert [(m["id"], m["text"]) for m in shown] == [(m["id"], m["text"]) for m in stored]


def test_guide_answer_through_litellm(client: TestClient) -> None:
    r = client.post("/api/guide/ask", json={"question": "When should I use RAG instead of fine-tuning?"}).json()
    assert r["grounded"] and r["degraded"] is False and r["flags"] == []
    assert r["citations"] and all(f"[{c['n']}]" in r["answer"] for c in r["citations"])


def test_readyz_reports_models_and_fault_counts(client: TestClient, server: ScriptedLLM) -> None:
    server.enqueue(Reply.error(503))
    assert client.post("/api/guide/ask", json={"question": "When should I use RAG?"}).json()["degraded"]
    r = client.get("/readyz")
    assert r.status_code == 200  # a failing provider degrades answers; it never makes the app unready
    llm = r.json()["llm"]
    assert llm["models"]["judge"] == "openai/scripted" and llm["grader_mode"] == "llm"
    assert llm["degraded"] == {"answerer:server_error": 1} and llm["degraded_total"] == 1


@pytest.mark.parametrize("fault", [Reply.error(429), Reply.error(500), Reply.slow(10),
                                   Reply.broken_stream("Thanks, one thing I want to push on here is", 1),
                                   Reply.stream(""), Reply.raw('{"choices": [')])
def test_interview_faults_degrade_and_lose_nothing(client: TestClient, server: ScriptedLLM, fault: Reply) -> None:
    sid, h, _ = start(client)
    server.enqueue(fault)  # the next call, whichever it is, fails
    r = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["degraded"] and body["degraded_reason"].startswith("interviewer: ")
    assert body["messages"] and body["messages"][-1]["text"]  # the embedded wording stood in
    view = client.get(f"/api/interviews/{sid}", headers=h).json()
    assert any(m["role"] == "candidate" and m["text"] == ANSWER for m in view["messages"])
    assert view["usage"]["degraded_events"][0]["component"] == "interviewer"


@pytest.mark.parametrize("fault", [Reply.error(503), Reply.slow(10), Reply.text("{\"criteria\": [{"),
                                   Reply.text("")])
def test_grading_faults_degrade_to_the_embedded_scorecard(client: TestClient, server: ScriptedLLM,
                                                          fault: Reply) -> None:
    sid, h, _ = start(client)
    client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
    client.post(f"/api/interviews/{sid}/messages", json={"text": "skip"}, headers=h)
    client.post(f"/api/interviews/{sid}/messages", json={"text": "skip"}, headers=h)

    def failing_judge(body: dict[str, Any]) -> Reply:
        return fault if is_judge(body) else polite_model(body)

    server.responder = failing_judge
    r = client.post(f"/api/interviews/{sid}/grade", headers=h)
    assert r.status_code == 200
    card = r.json()
    assert card["degraded"] and card["degraded_reason"].startswith("judge: ") and card["grader"]["kind"] == "embedded"
    stored = client.get(f"/api/interviews/{sid}", headers=h).json()
    assert stored["state"] == "graded" and stored["scorecard"]["degraded"]


def test_stateless_grading_uses_the_configured_judge(client: TestClient, server: ScriptedLLM) -> None:
    server.responder = lambda body: Reply.json(judge_json(body, 3)) if is_judge(body) else polite_model(body)
    r = client.post("/api/grade", json={"question_id": QID, "answer": ANSWER})
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["grader"]["kind"] == "llm" and card["grader"]["model"] == "openai/scripted" and not card["degraded"]
    assert [c["level"] for c in card["criteria"]] == [3] * len(card["criteria"])
    assert any(is_judge(b) for b in server.requests)


def test_stateless_grading_degrades_when_the_judge_fails(client: TestClient, server: ScriptedLLM) -> None:
    server.responder = lambda body: Reply.error(503) if is_judge(body) else polite_model(body)
    card = client.post("/api/grade", json={"question_id": QID, "answer": ANSWER + " Cache replies per tenant."}).json()
    assert card["degraded"] and card["degraded_reason"] == "judge: server_error"
    assert card["grader"]["kind"] == "embedded" and card["grader"]["fallback_for"]["kind"] == "llm"


def test_stateless_grading_in_ensemble_mode(tmp_path: Path, scripted: ScriptedLLM) -> None:
    scripted.responder = lambda body: (Reply.json(judge_json(body, 3)) if is_judge(body) else polite_model(body))
    c = app_client(llm_settings(tmp_path, scripted.base_url, grader_mode="ensemble"))
    try:
        card = c.post("/api/grade", json={"question_id": QID, "answer": ANSWER}).json()
        assert card["grader"]["kind"] == "ensemble" and set(card["grader"]["levels"]) == {"llm", "embedded"}
    finally:
        c.__exit__(None, None, None)


def test_a_dead_provider_never_hangs_a_request(tmp_path: Path, scripted: ScriptedLLM) -> None:
    scripted.responder = lambda body: Reply.slow(30)
    c = app_client(llm_settings(tmp_path, scripted.base_url, llm_timeout=1.0, llm_retries=3))
    try:
        t0 = time.monotonic()
        r = c.post("/api/interviews", json={"question_id": QID})
        assert r.status_code == 201 and r.json()["degraded"] and time.monotonic() - t0 < 2.5
        sid, h = r.json()["id"], {TOKEN_HEADER: r.headers[TOKEN_HEADER]}
        t0 = time.monotonic()
        r = c.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
        assert r.json()["degraded"] and time.monotonic() - t0 < 2.5
        t0 = time.monotonic()
        assert c.post("/api/guide/ask", json={"question": "When should I use RAG?"}).json()["degraded"]
        assert time.monotonic() - t0 < 2.5
    finally:
        c.__exit__(None, None, None)


def test_ensemble_mode_over_http(tmp_path: Path, scripted: ScriptedLLM) -> None:
    scripted.responder = lambda body: (Reply.json(judge_json(body, 3)) if is_judge(body) else polite_model(body))
    c = app_client(llm_settings(tmp_path, scripted.base_url, grader_mode="ensemble"))
    try:
        sid, h, _ = start(c)
        c.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h)
        card = c.post(f"/api/interviews/{sid}/grade", headers=h).json()
        assert card["grader"]["kind"] == "ensemble"
        llm, emb = card["grader"]["levels"]["llm"], card["grader"]["levels"]["embedded"]
        for crit in card["criteria"]:
            assert crit["uncertain"] == (abs(llm[crit["id"]] - emb[crit["id"]]) > 1)
    finally:
        c.__exit__(None, None, None)


def test_without_a_model_nothing_llm_appears(settings: Settings) -> None:
    c = app_client(settings)
    try:
        assert "llm" not in c.get("/readyz").json()
        r = c.post("/api/guide/ask", json={"question": "When should I use RAG?"}).json()
        assert "degraded" not in r and "flags" not in r
        sid, h, body = start(c)
        assert body["degraded"] is False and body["usage"] == {}
    finally:
        c.__exit__(None, None, None)


def test_llm_start_up_failure_serves_the_embedded_components(tmp_path: Path, scripted: ScriptedLLM,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from app.llm import LLMClient

    def broken(self: LLMClient, *args: object, **kwargs: object) -> None:
        raise ImportError("litellm is missing")

    monkeypatch.setattr(LLMClient, "__init__", broken)
    c = app_client(llm_settings(tmp_path, scripted.base_url))
    try:
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and ready["llm"]["degraded"] == {"startup:ImportError": 1}
        sid, h, body = start(c)
        assert not body["degraded"] and "20 minutes" in body["messages"][0]["text"]
        assert scripted.requests == []
    finally:
        c.__exit__(None, None, None)
