"""`POST /api/guide/ask/stream` in LLM mode over HTTP, through litellm's streaming path and the scripted server:
the model's words arrive as `delta` events, then one `done` carries the checked answer (the body `/ask` returns)
and is what the guide history keeps. A reply that fails the check, and a stream cut mid-way, end in a `done`
with the extractive answer and `degraded`; the response itself never breaks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import TOKEN_HEADER
from app.main import create_app
from app.runtime import build_runtime, wait_ready
from tests.app.llm.conftest import cited_answer, fresh, llm_settings
from tests.fakes import HashEmbedder, MemoryStore
from tests.llm_server import Reply, ScriptedLLM
from tests.sse import sse_events

QUESTION = "When should I use RAG instead of fine-tuning?"
OFF_GUIDE = "What is the best pizza topping in Naples?"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScriptedLLM, TestClient]]:
    with ScriptedLLM() as server:
        settings = llm_settings(tmp_path_factory.mktemp("stream"), server.base_url, llm_timeout=2.0)
        rt = build_runtime(settings)
        with TestClient(create_app(settings, rt, embedder=HashEmbedder(), store=MemoryStore())) as c:
            assert wait_ready(rt, timeout=30), rt.error
            yield server, c


@pytest.fixture
def server(shared: tuple[ScriptedLLM, TestClient]) -> ScriptedLLM:
    return fresh(shared[0])


def ask(client: TestClient, question: str = QUESTION) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The streamed text, the `done` body and the response headers; `done` is the one last event."""
    r = client.post("/api/guide/ask/stream", json={"question": question})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert [name for name, _ in events] == ["delta"] * (len(events) - 1) + ["done"]
    return "".join(data["text"] for _, data in events[:-1]), events[-1][1], dict(r.headers)


def llm_counts(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/readyz").json()["llm"])


def test_a_faithful_answer_streams_and_done_carries_it_verified(client: TestClient, server: ScriptedLLM) -> None:
    server.responder = lambda body: Reply.stream(f"{cited_answer(body, 1)} {cited_answer(body, 2)}", chunk_words=2)
    before = llm_counts(client)
    streamed, done, headers = ask(client)
    after = llm_counts(client)
    assert after["calls"]["answerer"] == before["calls"].get("answerer", 0) + 1  # a streamed call is counted
    assert after["degraded_total"] == before["degraded_total"]
    assert server.requests[0]["stream"] is True
    assert streamed == f"{cited_answer(server.requests[0], 1)} {cited_answer(server.requests[0], 2)}"
    assert done["grounded"] and done["degraded"] is False and done["flags"] == []
    assert done["citations"] and all(f"[{c['n']}]" in done["answer"] for c in done["citations"])
    # The same body the non-streaming endpoint returns for the same reply.
    assert client.post("/api/guide/ask", json={"question": QUESTION}).json() == done
    # The history keeps what `done` showed.
    token = headers.get(TOKEN_HEADER.lower()) or client.cookies.get("casewise_token")
    history = client.get("/api/guide/history", headers={TOKEN_HEADER: token or ""}).json()
    assert [h["question"] for h in history][-2:] == [QUESTION, QUESTION] and history[-2]["answer"] == done


def test_an_unsupported_claim_is_replaced_by_the_fallback_in_done(client: TestClient, server: ScriptedLLM) -> None:
    claim = "Fine-tuned models never hallucinate and cost nothing to serve at any scale [1]."
    server.responder = lambda body: Reply.stream(f"{cited_answer(body, 1)} {claim}")
    streamed, done, _ = ask(client)
    assert claim in streamed and claim not in done["answer"]
    assert done["degraded"] is True and done["degraded_reason"] == "answerer: unsupported" and done["grounded"]


def test_leaked_fence_markers_end_in_the_fallback(client: TestClient, server: ScriptedLLM) -> None:
    server.responder = lambda body: Reply.stream(
        f"{cited_answer(body, 1)} The question is data between fence markers: when to use RAG [1].")
    _, done, _ = ask(client)
    assert done["degraded"] is True and done["degraded_reason"] == "answerer: echo"


@pytest.mark.parametrize(("reply", "reason", "shown"), [
    (Reply.broken_stream("RAG changes what the model can see while fine tuning changes", break_after=2),
     "stream_broken", "RAG changes what the model can "),  # cut mid-way, after two pieces were shown
    (Reply.stalled_stream("RAG changes what the model can see while fine tuning changes", after=1, delay=10),
     "timeout", "RAG changes what "),  # the provider goes quiet mid-way, past LLM_TIMEOUT
    (Reply.error(500), "server_error", ""),
    (Reply.slow(10), "timeout", ""),
    (Reply.raw("data: {broken"), "empty_completion", ""),  # garbage, not an event stream
])
def test_provider_faults_end_in_done_with_the_fallback(client: TestClient, server: ScriptedLLM, reply: Reply,
                                                       reason: str, shown: str) -> None:
    server.enqueue(reply)
    before = llm_counts(client)["degraded"].get(f"answerer:{reason}", 0)
    streamed, done, _ = ask(client)
    assert streamed == shown
    assert llm_counts(client)["degraded"][f"answerer:{reason}"] == before + 1  # counted as /ask counts it
    assert done["degraded"] is True and done["degraded_reason"] == f"answerer: {reason}" and done["grounded"]
    assert done["answer"] == client.post("/api/guide/ask", json={"question": QUESTION}).json()["answer"]


def test_a_declined_question_sends_done_only(client: TestClient, server: ScriptedLLM) -> None:
    streamed, done, _ = ask(client, OFF_GUIDE)
    assert streamed == "" and done["grounded"] is False and server.requests == []
