"""/metrics in Prometheus format: an interview moves the grading histogram and the request counters; the request
id returned in X-Request-ID is on every JSON log line of that request."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.logs import JsonFormatter, RequestIdFilter
from app.main import create_app
from app.metrics import Metrics
from app.runtime import build_runtime, wait_ready
from app.settings import ROOT, Settings
from rag.batcher import BatchingEmbedder
from tests.fakes import HashEmbedder, MemoryStore

QID = "support-reply-drafts"
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets. Success "
          "is the share of drafts sent with few edits and a lower handle time against a holdout group, with CSAT "
          "flat. Low-confidence drafts are suppressed so nothing invents a refund, and I'd launch in shadow mode "
          "with five customers before expanding by cohort.")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", content_dir=ROOT / "content",
                        _env_file=None)  # type: ignore[call-arg]
    rt = build_runtime(settings)
    embedder = BatchingEmbedder(HashEmbedder(), wait_ms=0, observer=rt.metrics.observe_batch)
    app = create_app(settings, rt, embedder=embedder, store=MemoryStore())
    with TestClient(app) as c:
        assert wait_ready(rt, timeout=30), rt.error
        yield c


def _value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when there are none yet)."""
    return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_an_interview_moves_the_grading_histogram_and_request_counters(client: TestClient) -> None:
    before = client.get("/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    msg_route = "/api/interviews/{session_id}/messages"
    grade_route = "/api/interviews/{session_id}/grade"
    sent_before = _value(before.text, "casewise_http_requests_total", route=msg_route, status="200")

    r = client.post("/api/interviews", json={"question_id": QID})
    sid, h = r.json()["id"], {"X-Candidate-Token": r.headers["X-Candidate-Token"]}
    body = client.post(f"/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h).json()
    sent = 1
    for _ in range(6):
        if body["state"] == "ready_to_grade":
            break
        body = client.post(f"/api/interviews/{sid}/messages", headers=h, json={"text": ANSWER}).json()
        sent += 1
    assert client.post(f"/api/interviews/{sid}/grade", headers=h).status_code == 200

    after = client.get("/metrics").text
    assert _value(after, "casewise_http_requests_total", route=msg_route, status="200") == sent_before + sent
    assert _value(after, "casewise_http_requests_total", method="POST", route="/api/interviews",
                  status="201") >= 1
    assert _value(after, "casewise_grading_duration_seconds_count", kind="interview") == 1
    assert _value(after, "casewise_http_request_duration_seconds_count", route=grade_route, status="200") == 1
    assert _value(after, "casewise_embedding_batch_texts_count") >= 1  # the batcher reported its passes
    assert f"/api/interviews/{sid}" not in after  # route templates, never raw paths with ids


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    client.get("/api/no-such-thing-1")
    client.get("/api/no-such-thing-2")
    text = client.get("/metrics").text
    assert "no-such-thing" not in text


def test_metrics_objects_do_not_share_state() -> None:
    a, b = Metrics(), Metrics()
    a.observe_request("GET", "/x", 200, 0.01)
    assert 'route="/x"' in a.render().decode() and 'route="/x"' not in b.render().decode()


def test_json_logs_carry_the_request_id_of_the_response(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.Handler()
    lines: list[str] = []
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)  # the candidate's token is issued with an INFO line
    logging.getLogger().addHandler(handler)
    try:
        r = client.post("/api/interviews", json={"question_id": QID})
    finally:
        logging.getLogger().removeHandler(handler)
    rid = r.headers["X-Request-ID"]
    records = [json.loads(x) for x in lines]
    assert any(x["request_id"] == rid for x in records), records
    assert all({"ts", "level", "logger", "message", "request_id"} <= set(x) for x in records)


def test_a_proxy_request_id_is_kept_and_a_malformed_one_replaced(client: TestClient) -> None:
    good = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": good}).headers["X-Request-ID"] == good
    bad = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert bad != "<script>" and re.fullmatch(r"[0-9a-f]{16}", bad)
