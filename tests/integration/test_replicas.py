"""Two app replicas on different ports sharing PostgreSQL, a `chroma run` server and Redis (issue 14).

Both processes start at the same moment on an empty database and an empty collection: exactly one migration and
one ingestion happen (counted in the startup_event table). One candidate then alternates between the replicas
through a whole interview; concurrent grades sent to both let exactly one win; a candidate's rate limit reached
on one replica holds on the other; and each replica's /metrics and JSON logs show the traffic.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.settings import ROOT
from tests.conftest import REDIS_URL, _fresh_pg_database, free_port, fresh_redis_prefix

pytestmark = [pytest.mark.postgres, pytest.mark.chroma_server]

QID = "support-reply-drafts"
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets, so they "
          "quote real policy instead of inventing it. I'd start with the highest-volume ticket types, such as order "
          "status and refunds, because they are repetitive and easy to check. Success is the share of drafts sent "
          "with few edits and a lower handle time, measured against a holdout group of agents, while CSAT must not "
          "fall. The main risk is a confident wrong answer about money, so low-confidence drafts are suppressed and "
          "refund amounts always come from the order system. I'd launch in shadow mode with five customers first, "
          "review the failures every week, then expand by cohort once acceptance is stable.")
PROBE_ANSWER = ("I'd measure acceptance rate and handle time against a holdout, and suppress low-confidence drafts so "
                "nothing invents a refund. Each week we'd review a sample of sent drafts with team leads, label the "
                "errors by type, and fix retrieval or prompts for the most common ones before widening the rollout.")
CANDIDATE_LIMIT = 40  # per minute, shared through Redis


class Replica:
    def __init__(self, name: str, env: dict[str, str], data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{name}.log"
        data.mkdir(parents=True, exist_ok=True)
        # One process per replica: no multiprocess metrics directory (prometheus_client would take even an empty
        # value as one and write its files into the working directory).
        base = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        self.env = {**base, **env, "DATA_DIR": str(data), "PORT": str(self.port)}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen([sys.executable, "-m", "tests.integration.replica_server"], cwd=ROOT,
                                         env=self.env, stdout=fh, stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"replica exited at start-up:\n{self.log.read_text()[-3000:]}")
        try:
            r = httpx.get(f"{self.url}/readyz", timeout=1)
        except httpx.HTTPError:
            return False
        if r.json().get("status") == "failed":  # start-up failed for good: no point waiting out the deadline
            raise AssertionError(f"replica failed to start: {r.json().get('error')}")
        return r.status_code == 200

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="module")
def redis_prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from fresh_redis_prefix(request)


@pytest.fixture(scope="module")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _fresh_pg_database(request)


@pytest.fixture(scope="module")
def replicas(pg_url: str, chroma_server: int, redis_prefix: str,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Replica]]:
    root = tmp_path_factory.mktemp("replicas")
    env = {"DATABASE_URL": pg_url, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server),
           "CHROMA_COLLECTION": f"guide-{secrets.token_hex(4)}", "REDIS_URL": REDIS_URL, "REDIS_PREFIX": redis_prefix,
           "RATE_LIMIT_ADDRESS": "", "RATE_LIMIT_EXPENSIVE": "", "RATE_LIMIT_CANDIDATE": f"{CANDIDATE_LIMIT}/minute",
           "LLM_MODEL": "", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "HOST": "127.0.0.1"}
    pair = (Replica("a", env, root / "a"), Replica("b", env, root / "b"))
    try:
        for r in pair:  # both processes start at once: they race for the migration and the ingestion
            r.start()
        deadline = time.monotonic() + 120
        while not all(r.ready() for r in pair):
            assert time.monotonic() < deadline, "replicas not ready within 120 s"
            time.sleep(0.2)
        yield pair
    finally:
        for r in pair:
            r.stop()


def _events(pg_url: str) -> list[tuple[str, int]]:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return [(k, int(p)) for k, p in conn.execute(text("SELECT kind, pid FROM startup_event ORDER BY id"))]
    finally:
        engine.dispose()


def test_replicas_started_together_migrate_once_and_ingest_once(replicas: tuple[Replica, Replica],
                                                                pg_url: str) -> None:
    events = _events(pg_url)
    assert sorted(k for k, _ in events) == ["ingest", "migrate"], events
    pids = {r.proc.pid for r in replicas if r.proc is not None}
    assert {p for _, p in events} <= pids  # recorded by the replicas themselves
    for r in replicas:
        ready = httpx.get(f"{r.url}/readyz").json()
        assert ready["checks"] == {"index": True, "database": True, "vector_store": True, "redis": True}
        assert ready["dependencies"]["database"] == "postgresql"


def test_one_candidate_alternates_replicas_through_a_whole_interview(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    order = [a, b]
    step = 0

    def post(path: str, body: object, headers: dict[str, str]) -> httpx.Response:
        nonlocal step
        r = httpx.post(order[step % 2].url + path, json=body, headers=headers, timeout=30)
        step += 1
        return r

    r = post("/api/interviews", {"question_id": QID}, {})
    assert r.status_code == 201, r.text
    sid, h = r.json()["id"], {"X-Candidate-Token": r.headers["X-Candidate-Token"]}
    body = post(f"/api/interviews/{sid}/messages", {"text": "How many tickets are handled per month?"}, h).json()
    assert body["received"]["kind"] == "clarifying_question"
    body = post(f"/api/interviews/{sid}/messages", {"text": ANSWER}, h).json()
    assert body["received"]["kind"] == "answer"
    probes = 0
    for _ in range(6):  # follow-up probes (or a nudge), each answered on the other replica
        if body["state"] == "ready_to_grade":
            break
        probes += body["messages"][-1]["kind"] == "probe"
        body = post(f"/api/interviews/{sid}/messages", {"text": PROBE_ANSWER}, h).json()
    assert body["state"] == "ready_to_grade" and probes >= 1, body
    card = post(f"/api/interviews/{sid}/grade", None, h)
    assert card.status_code == 200, card.text
    overall = card.json()["overall"]
    for i, r_ in enumerate((a, b)):  # each replica serves the same finished session and its exports
        got = httpx.get(f"{r_.url}/api/interviews/{sid}", headers=h).json()
        assert got["state"] == "graded" and got["scorecard"]["overall"] == overall
        fmt = ("md", "json")[i]
        export = httpx.get(f"{r_.url}/api/interviews/{sid}/export", params={"format": fmt}, headers=h)
        assert export.status_code == 200 and ANSWER[:40] in export.text


def _ready_to_grade(url: str) -> tuple[str, dict[str, str]]:
    r = httpx.post(f"{url}/api/interviews", json={"question_id": QID})
    sid, h = r.json()["id"], {"X-Candidate-Token": r.headers["X-Candidate-Token"]}
    body = httpx.post(f"{url}/api/interviews/{sid}/messages", json={"text": ANSWER}, headers=h, timeout=30).json()
    for _ in range(6):
        if body["state"] == "ready_to_grade":
            break
        body = httpx.post(f"{url}/api/interviews/{sid}/messages", json={"text": PROBE_ANSWER}, headers=h,
                          timeout=30).json()
    assert body["state"] == "ready_to_grade"
    return sid, h


def test_concurrent_grades_on_both_replicas_exactly_one_wins(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    sid, h = _ready_to_grade(a.url)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def grade(url: str) -> None:
        barrier.wait()
        statuses.append(httpx.post(f"{url}/api/interviews/{sid}/grade", headers=h, timeout=60).status_code)

    threads = [threading.Thread(target=grade, args=(r.url,)) for r in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert sorted(statuses) == [200, 409]
    got = httpx.get(f"{b.url}/api/interviews/{sid}", headers=h).json()
    assert got["state"] == "graded" and [m["kind"] for m in got["messages"]].count("scorecard") == 1


def test_a_rate_limit_reached_on_one_replica_holds_on_the_other(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    h = {"X-Candidate-Token": f"limit-{secrets.token_hex(8)}"}
    for _ in range(CANDIDATE_LIMIT):
        assert httpx.get(f"{a.url}/api/questions", headers=h).status_code == 200
    refused = httpx.get(f"{b.url}/api/questions", headers=h)  # b has never seen this token itself
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    metrics = httpx.get(f"{b.url}/metrics").text
    assert 'casewise_rate_limited_total{scope="candidate"} 1.0' in metrics


def test_metrics_and_json_logs_follow_the_requests(replicas: tuple[Replica, Replica]) -> None:
    a, _ = replicas
    r = httpx.get(f"{a.url}/api/questions")
    rid = r.headers["X-Request-ID"]
    metrics = httpx.get(f"{a.url}/metrics").text
    assert 'casewise_http_requests_total{method="GET",route="/api/questions",status="200"}' in metrics
    assert "casewise_embedding_batch_texts_count" in metrics
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the access line is written as the response goes out
        lines = [json.loads(x) for x in a.log.read_text().splitlines() if x.startswith("{")]
        if any(x.get("request_id") == rid for x in lines):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no JSON log line carries request id {rid}")
