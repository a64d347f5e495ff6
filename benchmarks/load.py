"""A bounded load generator on loopback: a mixed workload against one or two app processes sharing Redis and
PostgreSQL, reporting latency percentiles and 429 counts per kind of request.

Each simulated candidate starts an interview, asks a clarifying question, answers, asks for a grade and asks the
guide one question, so every request kind of the issue (starts, messages, grades, guide questions) is in the mix.
All of it comes from 127.0.0.1, so the per-address limit is shared by every candidate. With two processes, requests
alternate between them: if the limits were per process, the same run would see about half the 429s or none.

    python -m benchmarks.load --processes 1
    python -m benchmarks.load --processes 2

Needs PostgreSQL (--pg-url, a fresh database is created and dropped) and Redis (--redis-url). Nothing leaves
the machine; the run is bounded by --candidates.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from benchmarks._util import free_port, pct, start_server, wait_ready

ANSWER = ("I would build reply drafts for support agents, who review every draft before sending. Drafts are "
          "grounded with retrieval over each customer's help centre. I'd track acceptance rate and handle time "
          "against a holdout, and suppress low-confidence drafts so nothing invents a refund.")


def one_candidate(urls: list[str], n: int, results: dict[str, list[tuple[int, float]]]) -> None:
    """One candidate's session, its requests alternating across the app processes."""
    token: str | None = None
    sid: str | None = None
    steps = [("start", "POST", "/api/interviews", {"question_id": "support-reply-drafts"}),
             ("message", "POST", "messages", {"text": "How many tickets are handled per month?"}),
             ("message", "POST", "messages", {"text": ANSWER}),
             ("grade", "POST", "grade", None),
             ("guide", "POST", "/api/guide/ask", {"question": "When should I use RAG instead of fine-tuning?"})]
    with httpx.Client(timeout=60) as c:
        for i, (kind, method, path, body) in enumerate(steps):
            if path in ("messages", "grade"):
                if sid is None:
                    continue
                path = f"/api/interviews/{sid}/{path}"
            headers = {"X-Requested-With": "load"} | ({"X-Candidate-Token": token} if token else {})
            url = urls[(n + i) % len(urls)] + path
            t0 = time.perf_counter()
            r = c.request(method, url, json=body, headers=headers)
            results[kind].append((r.status_code, (time.perf_counter() - t0) * 1000))
            if kind == "start" and r.status_code == 201:
                token, sid = r.headers.get("X-Candidate-Token"), r.json()["id"]


def run(processes: int, candidates: int, concurrency: int, pg_url: str, redis_url: str, limit: str) -> None:
    server_url = make_url(pg_url)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"casewise_load_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = server_url.set(database=name).render_as_string(hide_password=False)
    env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_PREFIX": f"load-{secrets.token_hex(4)}",
           "RATE_LIMIT_ADDRESS": limit, "RATE_LIMIT_CANDIDATE": "", "RATE_LIMIT_EXPENSIVE": "",
           "LLM_MODEL": "", "HF_HUB_OFFLINE": "1"}
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ports = [free_port() for _ in range(processes)]
            for i, port in enumerate(ports):
                procs.append(start_server(Path(tmp) / f"data{i}", port, env))
                wait_ready(port, procs[-1], timeout=300)  # one at a time: both migrating at once is issue 14's
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            results: dict[str, list[tuple[int, float]]] = defaultdict(list)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(lambda n: one_candidate(urls, n, results), range(candidates)))
            wall = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    total = sum(len(v) for v in results.values())
    limited = sum(1 for v in results.values() for s, _ in v if s == 429)
    lines = [f"\n{processes} app process(es), PostgreSQL + Redis, RATE_LIMIT_ADDRESS={limit}, {candidates} candidates, "
             f"{concurrency} at a time: {total} requests in {wall:.1f} s, {limited} answered 429",
             "| kind | requests | 2xx | 429 | other | p50 ms (2xx) | p95 ms (2xx) |", "|---|---|---|---|---|---|---|"]
    for kind in ("start", "message", "grade", "guide"):
        rows = results.get(kind, [])
        ok = [ms for s, ms in rows if 200 <= s < 300]
        n429 = sum(1 for s, _ in rows if s == 429)
        other = len(rows) - len(ok) - n429
        p50 = f"{pct(ok, 50):.0f}" if ok else "-"
        p95 = f"{pct(ok, 95):.0f}" if ok else "-"
        lines.append(f"| {kind} | {len(rows)} | {len(ok)} | {n429} | {other} | {p50} | {p95} |")
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, choices=(1, 2), default=1)
    ap.add_argument("--candidates", type=int, default=40)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--limit", default="150/minute", help="RATE_LIMIT_ADDRESS for the run (all traffic is one address)")
    ap.add_argument("--pg-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    a = ap.parse_args()
    if not (1 <= a.candidates <= 500 and 1 <= a.concurrency <= 64):
        ap.error("keep the load bounded: 1-500 candidates, 1-64 at a time")
    run(a.processes, a.candidates, a.concurrency, a.pg_url, a.redis_url, a.limit)


if __name__ == "__main__":
    main()
